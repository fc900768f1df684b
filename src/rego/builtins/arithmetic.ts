// Builtin family "arithmetic": not written yet.
export {};
