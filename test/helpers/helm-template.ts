// Just enough of Helm's Go templates to run the chart's named templates (_helpers.tpl) and render its
// template files without a helm binary: text with `{{- -}}` trimming, comments, if/else if/else, with/else,
// range over lists and dicts, variables (`:=`, `=`, `$`), fields, parentheses, pipes, and the functions
// below. Anything else throws, so a template this cannot read fails the test instead of passing it.
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';

type Value = unknown;

/** A template's `fail` (Helm stops the render with this message). */
export class HelmFailure extends Error {
  override readonly name = 'HelmFailure';
}

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly source: string }
  | { readonly kind: 'if'; readonly branches: { readonly condition: string; readonly body: Node[] }[]; readonly otherwise: Node[] }
  | { readonly kind: 'range'; readonly source: string; readonly body: Node[] }
  | { readonly kind: 'with'; readonly source: string; readonly body: Node[]; readonly otherwise: Node[] };

/** Splits a template into text and actions, applying `{{-` and `-}}` trimming and dropping comments. */
function lex(template: string): ({ text: string } | { action: string })[] {
  const pieces: ({ text: string } | { action: string })[] = [];
  let rest = template;
  let trimNext = false;
  while (rest !== '') {
    const open = rest.indexOf('{{');
    let text = open === -1 ? rest : rest.slice(0, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open === -1) {
      pieces.push({ text });
      break;
    }
    const close = rest.indexOf('}}', open);
    if (close === -1) throw new Error('unclosed {{');
    let inner = rest.slice(open + 2, close);
    if (inner.startsWith('-')) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    trimNext = inner.endsWith('-');
    if (trimNext) inner = inner.slice(0, -1);
    pieces.push({ text });
    inner = inner.trim();
    if (!(inner.startsWith('/*') && inner.endsWith('*/'))) pieces.push({ action: inner });
    rest = rest.slice(close + 2);
  }
  return pieces;
}

/** The named templates (`define`) of a template file, as trees. */
export function parseDefines(template: string): Map<string, Node[]> {
  return parseTemplate(template).defines;
}

/**
 * The named templates of every file of a chart's templates/ folder, and each file itself under the name
 * Helm gives it (`<chart>/templates/<file>`, which `.Template.BasePath` and `include` use).
 */
export function parseChart(chartName: string, files: readonly { readonly file: string; readonly text: string }[]): Map<string, Node[]> {
  const all = new Map<string, Node[]>();
  for (const { file, text } of files) {
    const { defines, body } = parseTemplate(text);
    for (const [name, nodes] of defines) all.set(name, nodes);
    all.set(`${chartName}/templates/${file}`, body);
  }
  return all;
}

/** A template file's named templates, and its own text outside them. */
function parseTemplate(template: string): { defines: Map<string, Node[]>; body: Node[] } {
  const pieces = lex(template);
  let position = 0;
  const defines = new Map<string, Node[]>();

  /** Nodes up to (not including) an `end`, `else` or `else if`, which is returned as the stop word. */
  function block(): { nodes: Node[]; stop: string | null } {
    const nodes: Node[] = [];
    while (position < pieces.length) {
      const piece = pieces[position++]!;
      if ('text' in piece) {
        if (piece.text !== '') nodes.push({ kind: 'text', text: piece.text });
        continue;
      }
      const [word = '', ...rest] = piece.action.split(/\s+/);
      const source = rest.join(' ');
      if (word === 'end' || word === 'else') return { nodes, stop: piece.action };
      if (word === 'if') {
        const branches = [{ condition: source, body: [] as Node[] }];
        let otherwise: Node[] = [];
        for (;;) {
          const inner = block();
          if (otherwise.length === 0 && branches.at(-1)!.body.length === 0) branches.at(-1)!.body = inner.nodes;
          if (inner.stop === 'end') break;
          if (inner.stop === null) throw new Error('if without end');
          if (inner.stop.startsWith('else if ')) branches.push({ condition: inner.stop.slice('else if '.length), body: [] });
          else if (inner.stop === 'else') {
            const last = block();
            if (last.stop !== 'end') throw new Error('else without end');
            otherwise = last.nodes;
            break;
          } else throw new Error(`unexpected {{ ${inner.stop} }}`);
        }
        nodes.push({ kind: 'if', branches, otherwise });
      } else if (word === 'with') {
        const inner = block();
        let otherwise: Node[] = [];
        if (inner.stop === 'else') {
          const last = block();
          if (last.stop !== 'end') throw new Error('with/else without end');
          otherwise = last.nodes;
        } else if (inner.stop !== 'end') throw new Error('with without end (or with else with: not supported)');
        nodes.push({ kind: 'with', source, body: inner.nodes, otherwise });
      } else if (word === 'range') {
        const inner = block();
        if (inner.stop !== 'end') throw new Error('range without end (or with else: not supported)');
        nodes.push({ kind: 'range', source, body: inner.nodes });
      } else if (word === 'define') {
        const name = JSON.parse(source) as string;
        const inner = block();
        if (inner.stop !== 'end') throw new Error(`define ${name} without end`);
        defines.set(name, inner.nodes);
      } else if (['block', 'template'].includes(word)) {
        throw new Error(`{{ ${word} }} is not supported here`);
      } else {
        nodes.push({ kind: 'action', source: piece.action });
      }
    }
    return { nodes, stop: null };
  }

  const top = block();
  if (top.stop !== null) throw new Error(`unexpected {{ ${top.stop} }} at the top level`);
  return { defines, body: top.nodes };
}

type Token = { readonly type: 'string' | 'number' | 'variable' | 'field' | 'ident' | 'punct'; readonly text: string; readonly spaced: boolean };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.|[A-Za-z_][A-Za-z0-9_]*|:=|[=(),|])/y;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < source.length && (match = pattern.exec(source)) !== null) {
    const text = match[1]!;
    const spaced = match[0].length > text.length || tokens.length === 0;
    const type = text.startsWith('"') ? 'string' : /^-?\d/.test(text) ? 'number' : text.startsWith('$') ? 'variable' : text.startsWith('.') ? 'field' : /^[A-Za-z_]/.test(text) ? 'ident' : 'punct';
    tokens.push({ type, text, spaced });
  }
  if (pattern.lastIndex < source.length && source.slice(pattern.lastIndex).trim() !== '') throw new Error(`cannot read "${source}"`);
  return tokens;
}

export const truth = (value: Value): boolean =>
  !(value === undefined || value === null || value === false || value === 0 || value === '' || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0));

const toInt = (value: Value): number => (typeof value === 'number' ? Math.trunc(value) : typeof value === 'string' && value.trim() !== '' ? Math.trunc(Number(value)) || 0 : 0);

function fieldOf(value: Value, path: string): Value {
  let current = value;
  for (const name of path.split('.').filter((part) => part !== '')) {
    current = typeof current === 'object' && current !== null ? (current as Record<string, Value>)[name] : undefined;
  }
  return current;
}

/** Variables of one block, over those of the blocks around it: `:=` declares here, `=` assigns where declared. */
class Scope {
  private readonly variables = new Map<string, Value>();
  constructor(private readonly outer: Scope | null) {}
  has(name: string): boolean {
    return this.variables.has(name) || (this.outer?.has(name) ?? false);
  }
  get(name: string): Value {
    if (this.variables.has(name)) return this.variables.get(name);
    if (this.outer === null) throw new Error(`undefined variable ${name}`);
    return this.outer.get(name);
  }
  declare(name: string, value: Value): void {
    this.variables.set(name, value);
  }
  assign(name: string, value: Value): void {
    if (this.variables.has(name)) this.variables.set(name, value);
    else if (this.outer === null) throw new Error(`assignment to undeclared ${name}`);
    else this.outer.assign(name, value);
  }
}

export interface HelmContext {
  readonly Values: Record<string, unknown>;
  readonly Release?: Record<string, unknown>;
  readonly Chart?: Record<string, unknown>;
  readonly Template?: Record<string, unknown>;
}

/** Go's fmt.Sprint of one value (Helm would print a large float64 in exponent form: the chart passes numbers through int64). */
const sprint = (value: Value): string => {
  if (value === undefined || value === null) return '<nil>';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

const indentLines = (spaces: Value, text: Value): string => {
  const pad = ' '.repeat(toInt(spaces));
  return pad + String(text).replaceAll('\n', `\n${pad}`);
};

/** Runs the named template `name` of `defines` with `context` as `.` and `$`; returns its output, or throws HelmFailure on `fail`. */
export function runDefine(defines: Map<string, Node[]>, name: string, context: HelmContext): string {
  const functions: Record<string, (...args: Value[]) => Value> = {
    and: (...args) => args.find((arg) => !truth(arg)) ?? args.at(-1),
    or: (...args) => args.find((arg) => truth(arg)) ?? args.at(-1),
    not: (arg) => !truth(arg),
    eq: (a, b) => a === b,
    ne: (a, b) => a !== b,
    gt: (a, b) => (a as number) > (b as number),
    lt: (a, b) => (a as number) < (b as number),
    add: (...args) => args.reduce<number>((sum, arg) => sum + toInt(arg), 0),
    div: (a, b) => Math.trunc(toInt(a) / toInt(b)),
    int: toInt,
    int64: toInt,
    list: (...args) => args,
    dict: (...args) => Object.fromEntries(Array.from({ length: args.length / 2 }, (_, i) => [String(args[2 * i]), args[2 * i + 1]])),
    append: (list, item) => [...(list as Value[]), item],
    join: (separator, list) => (list as Value[]).map(String).join(String(separator)),
    printf: (format, ...args) => String(format).replace(/%[sdv]/g, () => String(args.shift())),
    index: (object, key) => (object as Record<string, Value>)[String(key)],
    default: (fallback, given) => (truth(given) ? given : fallback),
    print: (...args) => args.map((arg) => (typeof arg === 'string' ? arg : sprint(arg))).join(''),
    toString: (value: Value) => sprint(value),
    quote: (...args) => args.filter((arg) => arg !== undefined && arg !== null).map((arg) => JSON.stringify(typeof arg === 'string' ? arg : sprint(arg))).join(' '),
    b64enc: (text) => Buffer.from(String(text), 'utf8').toString('base64'),
    sha256sum: (text) => createHash('sha256').update(String(text)).digest('hex'),
    trunc: (length, text) => String(text).slice(0, toInt(length)),
    trimSuffix: (suffix, text) => (String(text).endsWith(String(suffix)) && String(suffix) !== '' ? String(text).slice(0, -String(suffix).length) : String(text)),
    contains: (part, text) => String(text).includes(String(part)),
    replace: (from, to, text) => String(text).replaceAll(String(from), String(to)),
    toYaml: (value) => (value === undefined || value === null ? 'null' : stringify(value, { sortMapEntries: true }).replace(/\n$/, '')),
    indent: indentLines,
    nindent: (spaces, text) => `\n${indentLines(spaces, text)}`,
    include: (template, data) => render(defines.get(String(template)) ?? missing(String(template)), data, rootScope(data)),
    fail: (message) => {
      throw new HelmFailure(String(message));
    },
  };
  const missing = (template: string): never => {
    throw new Error(`no template named ${template}`);
  };

  function rootScope(data: Value): Scope {
    const scope = new Scope(null);
    scope.declare('$', data);
    return scope;
  }

  function evaluate(source: string, dot: Value, scope: Scope): Value {
    const tokens = tokenize(source);
    let position = 0;
    const peek = (): Token | undefined => tokens[position];

    function operand(): Value {
      const token = tokens[position++];
      if (token === undefined) throw new Error(`unexpected end of "${source}"`);
      let value: Value;
      if (token.type === 'string') value = JSON.parse(token.text);
      else if (token.type === 'number') value = Number(token.text);
      else if (token.type === 'field') value = token.text === '.' ? dot : fieldOf(dot, token.text);
      else if (token.type === 'variable') {
        const [variable = '', ...path] = token.text.split('.');
        value = fieldOf(scope.get(variable), path.join('.'));
      } else if (token.text === '(') {
        value = pipeline();
        if (tokens[position++]?.text !== ')') throw new Error(`missing ) in "${source}"`);
      } else if (token.type === 'ident' && ['true', 'false'].includes(token.text)) value = token.text === 'true';
      else if (token.type === 'ident') return callOf(token.text, []);
      else throw new Error(`unexpected "${token.text}" in "${source}"`);
      const chained = peek();
      if (chained?.type === 'field' && !chained.spaced) {
        position += 1;
        value = fieldOf(value, chained.text);
      }
      return value;
    }

    function callOf(functionName: string, piped: Value[]): Value {
      const fn = functions[functionName];
      if (fn === undefined) throw new Error(`unsupported function ${functionName}`);
      const args: Value[] = [];
      while (position < tokens.length && ![')', '|'].includes(peek()!.text)) args.push(operand());
      return fn(...args, ...piped);
    }

    function command(piped: Value[] | null): Value {
      const first = peek();
      if (first?.type === 'ident' && !['true', 'false'].includes(first.text)) {
        position += 1;
        return callOf(first.text, piped ?? []);
      }
      if (piped !== null) throw new Error(`cannot pipe into a value in "${source}"`);
      return operand();
    }

    function pipeline(): Value {
      let value = command(null);
      while (peek()?.text === '|') {
        position += 1;
        value = command([value]);
      }
      return value;
    }

    const value = pipeline();
    if (position !== tokens.length) throw new Error(`cannot read the rest of "${source}"`);
    return value;
  }

  function render(nodes: readonly Node[], dot: Value, scope: Scope): string {
    let output = '';
    for (const node of nodes) {
      if (node.kind === 'text') output += node.text;
      else if (node.kind === 'action') {
        const assignment = /^(\$[A-Za-z0-9_]*)\s*(:=|=)\s*(.+)$/s.exec(node.source);
        if (assignment) {
          const value = evaluate(assignment[3]!, dot, scope);
          if (assignment[2] === ':=') scope.declare(assignment[1]!, value);
          else scope.assign(assignment[1]!, value);
        } else {
          const value = evaluate(node.source, dot, scope);
          output += value === undefined || value === null ? '' : String(value);
        }
      } else if (node.kind === 'if') {
        const branch = node.branches.find((candidate) => truth(evaluate(candidate.condition, dot, scope)));
        output += render(branch?.body ?? node.otherwise, dot, new Scope(scope));
      } else if (node.kind === 'with') {
        const value = evaluate(node.source, dot, scope);
        output += truth(value) ? render(node.body, value, new Scope(scope)) : render(node.otherwise, dot, new Scope(scope));
      } else {
        const header = /^(?:(\$[A-Za-z0-9_]*)\s*(?:,\s*(\$[A-Za-z0-9_]*))?\s*:=\s*)?(.+)$/s.exec(node.source)!;
        const over = evaluate(header[3]!, dot, scope);
        const entries: [Value, Value][] = Array.isArray(over)
          ? over.map((item, i) => [i, item])
          : typeof over === 'object' && over !== null
            ? Object.keys(over).sort().map((key) => [key, (over as Record<string, Value>)[key]])
            : [];
        for (const [key, item] of entries) {
          const inner = new Scope(scope);
          if (header[2] !== undefined) {
            inner.declare(header[1]!, key);
            inner.declare(header[2], item);
          } else if (header[1] !== undefined) inner.declare(header[1], item);
          output += render(node.body, item, inner);
        }
      }
    }
    return output;
  }

  const root = defines.get(name) ?? missing(name);
  return render(root, context, rootScope(context));
}
