// Builtin family "core": not written yet.
export {};
