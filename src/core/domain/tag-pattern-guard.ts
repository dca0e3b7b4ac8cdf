import { invalidArgument } from "./domain-error.js";

/**
 * Node's regular expressions backtrack (there is no RE2), so a tag filter from an annotation is checked
 * structurally before it is compiled, and every input it runs on is capped at 128 characters (Docker's tag
 * limit). A pattern is refused when it has:
 *
 * - more than 256 characters;
 * - a backreference (`\1`, `\k<name>`): matching with them is NP-hard;
 * - a nested quantifier: a group repeated more than once (`*`, `+`, `{n,}`, `{n,m}` with m > 1) that itself
 *   contains a variable quantifier or an alternation, as in `(a+)+`, `(a|ab)*`, `(?:x?y)+`: the shapes of
 *   exponential backtracking;
 * - more than 4 unbounded quantifiers (`*`, `+`, `{n,}`) or more than 16 variable ones in all;
 * - lookbehind, inline modifiers or other group syntax beyond `(...)`, `(?:...)`, `(?<name>...)`, `(?=...)`, `(?!...)`.
 *
 * What is left matches in polynomial time: with k unbounded quantifiers a failing match tries at most about
 * C(n + k - 1, k - 1) ways to split an n-character input, i.e. about 366 000 for k = 4 and n = 128.
 */
export interface CheckedTagPattern {
  readonly regex: RegExp;
  /** Names of the named capture groups, in order. */
  readonly groupNames: readonly string[];
  /** How many capture groups (named or not) the pattern has. */
  readonly groupCount: number;
}

export const maxTagPatternLength = 256;
export const maxUnboundedQuantifiers = 4;
export const maxVariableQuantifiers = 16;

interface Frame {
  variable: boolean;
  alternation: boolean;
}

/**
 * Checks and compiles a tag filter pattern (JavaScript syntax, `u` flag).
 *
 * @param field names the annotation in the error.
 * @throws DomainError invalid-argument naming the construct that is refused.
 */
export function checkTagPattern(pattern: string, field: string): CheckedTagPattern {
  const fail = (problem: string) =>
    invalidArgument(field, `${field}: the pattern ${JSON.stringify(pattern.slice(0, 80))} is refused: ${problem}`);
  if (pattern.length === 0) throw fail("it is empty");
  if (pattern.length > maxTagPatternLength) {
    throw fail(`it has ${pattern.length} characters; the limit is ${maxTagPatternLength}`);
  }

  const stack: Frame[] = [{ variable: false, alternation: false }];
  const groupNames: string[] = [];
  let groupCount = 0;
  let unbounded = 0;
  let variableCount = 0;
  /** The thing a following quantifier repeats: a closed group's frame, any other atom, or nothing. */
  let last: Frame | "atom" | undefined;

  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i]!;
    const top = stack[stack.length - 1]!;
    if (char === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) throw fail("it ends with a lone backslash");
      if (/[1-9]/.test(next) || (next === "k" && pattern[i + 2] === "<")) {
        throw fail(`backreferences ("\\${next}") are not allowed`);
      }
      if ((next === "p" || next === "P" || next === "u") && pattern[i + 2] === "{") {
        const close = pattern.indexOf("}", i + 3);
        if (close === -1) throw fail(`"\\${next}{" is not closed`);
        i = close + 1;
      } else {
        i += 2;
      }
      last = "atom";
      continue;
    }
    if (char === "[") {
      let j = i + 1;
      if (pattern[j] === "^") j++;
      while (j < pattern.length && pattern[j] !== "]") j += pattern[j] === "\\" ? 2 : 1;
      if (j >= pattern.length) throw fail(`a character class "[" is not closed`);
      i = j + 1;
      last = "atom";
      continue;
    }
    if (char === "(") {
      if (pattern.startsWith("(?:", i) || pattern.startsWith("(?=", i) || pattern.startsWith("(?!", i)) {
        i += 3;
      } else if (pattern.startsWith("(?<=", i) || pattern.startsWith("(?<!", i)) {
        throw fail("lookbehind is not allowed");
      } else if (pattern.startsWith("(?<", i)) {
        const close = pattern.indexOf(">", i + 3);
        const name = close === -1 ? "" : pattern.slice(i + 3, close);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw fail(`a named group must look like (?<name>...)`);
        if (groupNames.includes(name)) throw fail(`the group name "${name}" is used twice`);
        groupNames.push(name);
        groupCount++;
        i = close + 1;
      } else if (pattern[i + 1] === "?") {
        throw fail(`the group syntax "${pattern.slice(i, i + 3)}" is not supported`);
      } else {
        groupCount++;
        i += 1;
      }
      stack.push({ variable: false, alternation: false });
      last = undefined;
      continue;
    }
    if (char === ")") {
      if (stack.length === 1) throw fail(`it has an unmatched ")"`);
      const closed = stack.pop()!;
      const parent = stack[stack.length - 1]!;
      parent.variable ||= closed.variable;
      parent.alternation ||= closed.alternation;
      last = closed;
      i++;
      continue;
    }
    if (char === "|") {
      top.alternation = true;
      last = undefined;
      i++;
      continue;
    }
    if (char === "*" || char === "+" || char === "?" || char === "{") {
      let min: number;
      let max: number;
      let length = 1;
      if (char === "*") [min, max] = [0, Number.POSITIVE_INFINITY];
      else if (char === "+") [min, max] = [1, Number.POSITIVE_INFINITY];
      else if (char === "?") [min, max] = [0, 1];
      else {
        const braces = /^\{([0-9]{1,4})(,([0-9]{0,4}))?\}/.exec(pattern.slice(i));
        if (braces === null) throw fail(`"{" at index ${i} is not a quantifier {n}, {n,} or {n,m}; escape it as "\\{"`);
        min = Number(braces[1]);
        max = braces[2] === undefined ? min : braces[3] === "" ? Number.POSITIVE_INFINITY : Number(braces[3]);
        length = braces[0].length;
      }
      if (last === undefined) throw fail(`the quantifier at index ${i} has nothing to repeat`);
      if (last !== "atom" && max > 1 && (last.variable || last.alternation)) {
        throw fail(
          `the group repeated by "${pattern.slice(i, i + length)}" at index ${i} contains ` +
            `${last.variable ? "a quantifier" : "an alternation"} (nested quantifiers backtrack exponentially)`,
        );
      }
      if (max !== min) {
        top.variable = true;
        variableCount++;
        if (max === Number.POSITIVE_INFINITY) unbounded++;
      }
      i += length;
      if (pattern[i] === "?") i++; // lazy
      last = undefined;
      continue;
    }
    last = "atom";
    i++;
  }
  if (stack.length > 1) throw fail(`it has an unclosed "("`);
  if (unbounded > maxUnboundedQuantifiers) {
    throw fail(`it has ${unbounded} unbounded quantifiers (*, +, {n,}); the limit is ${maxUnboundedQuantifiers}`);
  }
  if (variableCount > maxVariableQuantifiers) {
    throw fail(`it has ${variableCount} variable quantifiers; the limit is ${maxVariableQuantifiers}`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, "u");
  } catch (error) {
    throw fail(`it is not a valid regular expression (${(error as Error).message})`);
  }
  return { regex, groupNames, groupCount };
}
