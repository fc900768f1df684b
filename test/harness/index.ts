// Test harness: a private dockerd, the busybox test image, throwaway users, dockgate serve, the docker CLI.
export { startDaemon, testDaemon, stopPid, type Daemon } from './daemon.js';
export { ensureTestImage } from './image.js';
export { createUser, canManageUsers, type TestUser } from './users.js';
export { startServe, DOCKGATE_BIN, REPO_ROOT, type Served } from './serve.js';
export { run, dockerAt, ok, type RunResult } from './docker.js';
export { makeTestCertificates, freeLoopbackPort } from './tls.js';
export { rawExchange, rawConnect, splitResponses, type RawResponse } from './raw.js';
export { startInProcessProxy, startFakeUpstream, type InProcessProxy, type FakeUpstream } from './in-process.js';
