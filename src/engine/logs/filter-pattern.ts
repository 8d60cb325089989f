import { wildcardMatch } from "../wildcard.ts";
import { FilterPatternError } from "./errors.ts";

/**
 * CloudWatch Logs filter patterns (FilterLogEvents, `aws logs tail --filter-pattern`), compiled to a predicate:
 * - terms: `ERROR timeout` (all, case-sensitive), `"disk full"` (phrase), `?ERROR ?WARN` (any), `-DEBUG` (none);
 * - JSON: `{ $.outcome = "duplicate" }`, `{ $.ms > 100 && ($.level = "ERROR" || $.retry IS TRUE) }`,
 *   `{ $.key NOT EXISTS }`, `{ $.x IS NULL }`, `*` wildcards in string values;
 * - regular expressions: `%ERROR|WARN%`.
 * Space-delimited patterns (`[ip, user, ...]`) are not supported and rejected.
 */
export type LogFilter = (message: string) => boolean;

/**
 * Compiles a filter pattern; an empty or missing pattern matches every event.
 *
 * @throws FilterPatternError when the pattern cannot be parsed.
 * @example
 * compileFilterPattern('{ $.outcome = "duplicate" }')('{"outcome":"duplicate"}') // true
 */
export function compileFilterPattern(pattern: string | undefined): LogFilter {
  const text = (pattern ?? "").trim();
  if (text === "") return () => true;
  if (text.startsWith("{")) return compileJsonPattern(text);
  if (text.startsWith("%")) return compileRegexPattern(text);
  if (text.startsWith("["))
    throw new FilterPatternError("Space-delimited filter patterns are not supported by the engine");
  return compileTermPattern(text);
}

function compileRegexPattern(text: string): LogFilter {
  if (text.length < 2 || !text.endsWith("%"))
    throw new FilterPatternError("Invalid regular expression filter pattern");
  try {
    const regexp = new RegExp(text.slice(1, -1));
    return (message) => regexp.test(message);
  } catch {
    throw new FilterPatternError("Invalid regular expression filter pattern");
  }
}

function compileTermPattern(text: string): LogFilter {
  const required: string[] = [];
  const optional: string[] = [];
  const excluded: string[] = [];
  let index = 0;
  while (index < text.length) {
    while (index < text.length && /\s/.test(text[index] ?? "")) index++;
    if (index >= text.length) break;
    let target = required;
    const prefix = text[index];
    if (prefix === "?" || prefix === "-") {
      target = prefix === "?" ? optional : excluded;
      index++;
    }
    let term = "";
    if (text[index] === '"') {
      index++;
      let closed = false;
      while (index < text.length) {
        const char = text[index] ?? "";
        if (char === "\\" && index + 1 < text.length) {
          term += text[index + 1];
          index += 2;
          continue;
        }
        index++;
        if (char === '"') {
          closed = true;
          break;
        }
        term += char;
      }
      if (!closed) throw new FilterPatternError("Unterminated quoted term in filter pattern");
    } else {
      while (index < text.length && !/\s/.test(text[index] ?? "")) term += text[index++];
    }
    if (term === "") throw new FilterPatternError("Empty term in filter pattern");
    target.push(term);
  }
  return (message) =>
    required.every((term) => message.includes(term)) &&
    !excluded.some((term) => message.includes(term)) &&
    (optional.length === 0 || optional.some((term) => message.includes(term)));
}

// ---- JSON patterns ----

type Token =
  | { kind: "punct"; value: "{" | "}" | "(" | ")" | "&&" | "||" }
  | { kind: "op"; value: "=" | "!=" | "<" | ">" | "<=" | ">=" }
  | { kind: "selector"; value: string }
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "word"; value: string };

type Expression =
  | { kind: "and" | "or"; left: Expression; right: Expression }
  | { kind: "compare"; path: PathStep[]; op: string; value: string | number }
  | { kind: "is"; path: PathStep[]; value: true | false | null }
  | { kind: "notExists"; path: PathStep[] }
  | { kind: "exists"; path: PathStep[] };

type PathStep = { kind: "key"; name: string } | { kind: "index"; index: number } | { kind: "wildcard" };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? "";
    const pair = text.slice(index, index + 2);
    if (/\s/.test(char)) {
      index++;
    } else if (pair === "&&" || pair === "||") {
      tokens.push({ kind: "punct", value: pair });
      index += 2;
    } else if (pair === "!=" || pair === "<=" || pair === ">=") {
      tokens.push({ kind: "op", value: pair });
      index += 2;
    } else if (char === "=" || char === "<" || char === ">") {
      tokens.push({ kind: "op", value: char });
      index++;
    } else if (char === "{" || char === "}" || char === "(" || char === ")") {
      tokens.push({ kind: "punct", value: char });
      index++;
    } else if (char === '"') {
      let value = "";
      index++;
      let closed = false;
      while (index < text.length) {
        const next = text[index] ?? "";
        if (next === "\\" && index + 1 < text.length) {
          value += text[index + 1];
          index += 2;
          continue;
        }
        index++;
        if (next === '"') {
          closed = true;
          break;
        }
        value += next;
      }
      if (!closed) throw new FilterPatternError("Unterminated string in filter pattern");
      tokens.push({ kind: "string", value });
    } else if (char === "$") {
      let value = "";
      while (index < text.length && !/[\s=!<>()&|}]/.test(text[index] ?? "")) value += text[index++];
      tokens.push({ kind: "selector", value });
    } else if (/[-\d]/.test(char)) {
      const match = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(index));
      if (!match) throw new FilterPatternError(`Unexpected '${char}' in filter pattern`);
      tokens.push({ kind: "number", value: Number(match[0]) });
      index += match[0].length;
    } else if (/[A-Za-z_*]/.test(char)) {
      let value = "";
      while (index < text.length && /[\w.*:/-]/.test(text[index] ?? "")) value += text[index++];
      tokens.push({ kind: "word", value });
    } else {
      throw new FilterPatternError(`Unexpected '${char}' in filter pattern`);
    }
  }
  return tokens;
}

function parseSelector(selector: string): PathStep[] {
  if (!selector.startsWith("$")) throw new FilterPatternError(`Invalid selector ${selector}`);
  const steps: PathStep[] = [];
  const pattern = /\.([^.[\]]+)|\[(\d+|\*)\]/g;
  let consumed = 1;
  for (let match = pattern.exec(selector); match; match = pattern.exec(selector)) {
    if (match.index !== consumed) throw new FilterPatternError(`Invalid selector ${selector}`);
    consumed = match.index + match[0].length;
    if (match[1] !== undefined)
      steps.push(match[1] === "*" ? { kind: "wildcard" } : { kind: "key", name: match[1] });
    else if (match[2] === "*") steps.push({ kind: "wildcard" });
    else steps.push({ kind: "index", index: Number(match[2]) });
  }
  if (consumed !== selector.length || steps.length === 0)
    throw new FilterPatternError(`Invalid selector ${selector}`);
  return steps;
}

class JsonPatternParser {
  #position = 0;
  readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  parse(): Expression {
    this.#expectPunct("{");
    const expression = this.#or();
    this.#expectPunct("}");
    if (this.#position !== this.tokens.length)
      throw new FilterPatternError("Unexpected text after '}' in filter pattern");
    return expression;
  }

  #peek(): Token | undefined {
    return this.tokens[this.#position];
  }

  #next(): Token {
    const token = this.tokens[this.#position++];
    if (!token) throw new FilterPatternError("Unexpected end of filter pattern");
    return token;
  }

  #expectPunct(value: string): void {
    const token = this.#next();
    if (token.kind !== "punct" || token.value !== value)
      throw new FilterPatternError(`Expected '${value}' in filter pattern`);
  }

  #isPunct(value: string): boolean {
    const token = this.#peek();
    return token?.kind === "punct" && token.value === value;
  }

  #or(): Expression {
    let left = this.#and();
    while (this.#isPunct("||")) {
      this.#position++;
      left = { kind: "or", left, right: this.#and() };
    }
    return left;
  }

  #and(): Expression {
    let left = this.#primary();
    while (this.#isPunct("&&")) {
      this.#position++;
      left = { kind: "and", left, right: this.#primary() };
    }
    return left;
  }

  #primary(): Expression {
    if (this.#isPunct("(")) {
      this.#position++;
      const inner = this.#or();
      this.#expectPunct(")");
      return inner;
    }
    const selector = this.#next();
    if (selector.kind !== "selector") throw new FilterPatternError("Expected a $ selector in filter pattern");
    const path = parseSelector(selector.value);
    const operator = this.#next();
    if (operator.kind === "word" && operator.value.toUpperCase() === "IS") {
      const value = this.#next();
      const word = value.kind === "word" ? value.value.toUpperCase() : "";
      if (word === "TRUE") return { kind: "is", path, value: true };
      if (word === "FALSE") return { kind: "is", path, value: false };
      if (word === "NULL") return { kind: "is", path, value: null };
      throw new FilterPatternError("Expected TRUE, FALSE or NULL after IS");
    }
    if (operator.kind === "word" && operator.value.toUpperCase() === "NOT") {
      const value = this.#next();
      if (value.kind !== "word" || value.value.toUpperCase() !== "EXISTS")
        throw new FilterPatternError("Expected EXISTS after NOT");
      return { kind: "notExists", path };
    }
    if (operator.kind === "word" && operator.value.toUpperCase() === "EXISTS")
      return { kind: "exists", path };
    if (operator.kind !== "op")
      throw new FilterPatternError("Expected a comparison operator in filter pattern");
    const value = this.#next();
    if (value.kind === "number") return { kind: "compare", path, op: operator.value, value: value.value };
    if (operator.value !== "=" && operator.value !== "!=") {
      throw new FilterPatternError(`Operator ${operator.value} needs a numeric value`);
    }
    if (value.kind === "string" || value.kind === "word")
      return { kind: "compare", path, op: operator.value, value: value.value };
    throw new FilterPatternError("Expected a value in filter pattern");
  }
}

function compileJsonPattern(text: string): LogFilter {
  const expression = new JsonPatternParser(tokenize(text)).parse();
  return (message) => {
    const trimmed = message.trim();
    if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return false;
    let document: unknown;
    try {
      document = JSON.parse(trimmed);
    } catch {
      return false;
    }
    return evaluate(expression, document);
  };
}

function evaluate(expression: Expression, document: unknown): boolean {
  switch (expression.kind) {
    case "and":
      return evaluate(expression.left, document) && evaluate(expression.right, document);
    case "or":
      return evaluate(expression.left, document) || evaluate(expression.right, document);
    case "exists":
      return resolve(document, expression.path).length > 0;
    case "notExists":
      return resolve(document, expression.path).length === 0;
    case "is":
      return resolve(document, expression.path).some((value) => value === expression.value);
    case "compare":
      return resolve(document, expression.path).some((value) =>
        compare(value, expression.op, expression.value),
      );
  }
}

function compare(actual: unknown, op: string, expected: string | number): boolean {
  if (typeof expected === "number") {
    if (typeof actual !== "number") return false;
    switch (op) {
      case "=":
        return actual === expected;
      case "!=":
        return actual !== expected;
      case "<":
        return actual < expected;
      case ">":
        return actual > expected;
      case "<=":
        return actual <= expected;
      default:
        return actual >= expected;
    }
  }
  if (typeof actual !== "string") return false;
  const matches = wildcardMatch(expected, actual);
  return op === "=" ? matches : !matches;
}

/** Values a selector reaches; several with `*`, none when the path is missing. */
function resolve(document: unknown, path: PathStep[]): unknown[] {
  let current: unknown[] = [document];
  for (const step of path) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || typeof value !== "object") continue;
      if (step.kind === "wildcard") next.push(...(Array.isArray(value) ? value : Object.values(value)));
      else if (step.kind === "index") {
        if (Array.isArray(value) && step.index < value.length) next.push(value[step.index]);
      } else if (!Array.isArray(value) && Object.hasOwn(value, step.name)) {
        next.push((value as Record<string, unknown>)[step.name]);
      }
    }
    current = next;
  }
  return current;
}
