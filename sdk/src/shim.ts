/**
 * The dynamic providers Pulumi serializes into state: stateless shims.
 *
 * @pulumi/pulumi's dynamic.Resource serializes its provider as a closure (runtime.serializeFunction) and the engine's
 * dynamic-provider process re-creates it from that text for every operation, delete and refresh included. Anything a
 * provider captures (zod schemas, an HTTP connection, a client, a password) would be frozen into state, fail to
 * serialize, or run stale code at destroy time. So each method here is one call through a string-literal
 * `require("pulumi-winrm-proxy/provider")` inside the method body: `require` is never captured (it is the module's own
 * at run time, resolved from the project directory where the engine starts the provider), the methods pass plain data
 * only, and every operation runs the installed package.
 *
 * The type names are literals too, one shim object per resource, so a shim captures nothing at all. A unit test
 * (test/unit/sdk-shim.test.ts) serializes each one and checks that.
 *
 * This module is ESM; the methods never run in it. They run in the dynamic-provider process (CommonJS), which loads
 * the provider package with require() (Node >= 20.19 loads an ES module that has no top-level await that way).
 */
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-return,
   @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access */
import type * as pulumi from "@pulumi/pulumi";

export const winHttpProxySettingShim: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinHttpProxySetting.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinHttpProxySetting.diff(id, olds, news);
  },
  async create(inputs) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinHttpProxySetting.create(inputs);
  },
  async read(id, props) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinHttpProxySetting.read(id, props);
  },
  async update(id, olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinHttpProxySetting.update(id, olds, news);
  },
  async delete(id, props) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinHttpProxySetting.delete(id, props);
  },
};

export const winRMProxyConfigShim: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinRMProxyConfig.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinRMProxyConfig.diff(id, olds, news);
  },
  async create(inputs) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinRMProxyConfig.create(inputs);
  },
  async read(id, props) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinRMProxyConfig.read(id, props);
  },
  async update(id, olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinRMProxyConfig.update(id, olds, news);
  },
  async delete(id, props) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.WinRMProxyConfig.delete(id, props);
  },
};

export const remoteCommandShim: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.RemoteCommand.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.RemoteCommand.diff(id, olds, news);
  },
  async create(inputs) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.RemoteCommand.create(inputs);
  },
  async read(id, props) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.RemoteCommand.read(id, props);
  },
  async update(id, olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.RemoteCommand.update(id, olds, news);
  },
  async delete(id, props) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.RemoteCommand.delete(id, props);
  },
};

export const copyToRemoteShim: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.CopyToRemote.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.CopyToRemote.diff(id, olds, news);
  },
  async create(inputs) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.CopyToRemote.create(inputs);
  },
  async read(id, props) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.CopyToRemote.read(id, props);
  },
  async update(id, olds, news) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.CopyToRemote.update(id, olds, news);
  },
  async delete(id, props) {
    return require("pulumi-winrm-proxy/provider").resourceProviders.CopyToRemote.delete(id, props);
  },
};
