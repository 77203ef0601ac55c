/**
 * A small XML well-formedness check for the SVG tests: one root element, every tag closed
 * in order, attributes quoted and unique, only the five predefined entities or numeric
 * references, no stray `<` or `&` in text. Returns the element names in document order.
 */
export function checkWellFormed(xml: string): string[] {
  let s = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  s = s.replace(/<!--[\s\S]*?-->/g, '');
  const names: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const entity = /&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  const checkText = (text: string, where: string): void => {
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '<') throw new Error(`stray "<" in ${where}`);
      if (text[i] === '&') {
        entity.lastIndex = i;
        if (!entity.test(text)) throw new Error(`bad entity in ${where}: ${text.slice(i, i + 10)}`);
      }
    }
  };
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = lt < 0 ? s.slice(i) : s.slice(i, lt);
    if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root: ${text.slice(0, 20)}`);
    checkText(text, 'text');
    if (lt < 0) break;
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = s.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([A-Za-z_][\w.:-]*)([\s\S]*)$/.exec(body);
    if (!m) throw new Error(`bad tag <${tag}>`);
    const name = m[1]!;
    let rest = m[2]!;
    const seen = new Set<string>();
    const attr = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/;
    for (;;) {
      const a = attr.exec(rest);
      if (!a) break;
      if (seen.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]} on <${name}>`);
      seen.add(a[1]!);
      checkText(a[3] ?? a[4] ?? '', `attribute ${a[1]}`);
      rest = rest.slice(a[0].length);
    }
    if (rest.trim() !== '') throw new Error(`bad attributes on <${name}>: ${rest.slice(0, 30)}`);
    if (stack.length === 0) roots++;
    names.push(name);
    if (!selfClosing) stack.push(name);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
  return names;
}
