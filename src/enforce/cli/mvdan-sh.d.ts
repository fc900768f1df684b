// mvdan-sh is a GopherJS build that ships no types; the parser's nodes are read field by field.
declare module 'mvdan-sh' {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const sh: { syntax: any };
  export default sh;
}
