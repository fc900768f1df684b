// The socket proxy enforcement point.
export { runServe, parseServeOptions, type ServeOptions } from './serve.js';
export { Proxy, type ProxySettings } from './proxy.js';
export { ProxyRequest, allowAll, type Decision, type DecisionPoint } from './decision.js';
export { parseAddress, type Address } from './upstream.js';
export { listenUnix, listenTls, listenInsecureTcp, type Listener } from './listeners.js';
