// Builtin family "units": not written yet.
export {};
