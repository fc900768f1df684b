// The authorization plugin enforcement point: `dockgate plugin`.
export { runPlugin } from './command.js';
