// The docker CLI's command lines turned into the Engine API requests it sends.
export { dockerRequests, Undecidable, type DockerRequest } from './commands.js';
export { hostContext, type ArgvContext } from './context.js';
export { ArgvError } from './flags.js';
