// Builtin family "random": not written yet.
export {};
