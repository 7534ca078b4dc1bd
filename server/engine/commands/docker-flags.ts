/**
 * How the docker CLI reads one command's flags (cobra over pflag): long flags
 * with `=value` or the next word, shorthand groups (`-dit`, `-dp 80:80`,
 * `-p80:80`), `--` ending the flags, and for run and exec the flags ending at
 * the first argument. Flags the real command has but cnlab does not simulate
 * get the not-simulated message; flags it lacks get the CLI's own error
 * (exit 125, as its FlagErrorFunc gives).
 */
import { fail } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";

export interface FlagSpec {
  /** The command as the CLI names it in "See 'docker ps --help'.": "docker ps", "docker container ls". */
  path: string;
  /** Simulated flags, each form ("-a", "--all") under the name the command reads, and whether it takes a value. */
  known: Readonly<Record<string, { name: string; value: boolean }>>;
  /** Every other form the real command accepts ("--format", "-n"): refused as not simulated. */
  real: readonly string[];
  /** false for run and exec: what follows the image or container belongs to the command inside. */
  interspersed: boolean;
}

export interface ReadFlags {
  /** Values by flag name: "" for a boolean, one entry per use. */
  flags: Map<string, string[]>;
  args: string[];
}

export function readFlags(argv: readonly string[], spec: FlagSpec): ReadFlags {
  const flags = new Map<string, string[]>();
  const args: string[] = [];
  const flagError: (message: string) => never = (message) => fail(`${message}\nSee '${spec.path} --help'.`, 125);
  const set = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      args.push(a);
      if (!spec.interspersed) {
        args.push(...argv.slice(i + 1));
        break;
      }
      continue;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const flag = eq < 0 ? a : a.slice(0, eq);
      const known = spec.known[flag];
      if (known === undefined) {
        if (spec.real.includes(flag)) notSimulated(`${spec.path} ${flag}`);
        flagError(`unknown flag: ${flag}`);
      }
      // A boolean may be given a value: --detach=false is no --detach.
      if (!known.value) {
        if (eq < 0 || a.slice(eq + 1) !== "false") set(known.name, "");
      } else set(known.name, eq >= 0 ? a.slice(eq + 1) : (argv[++i] ?? flagError(`flag needs an argument: ${flag}`)));
      continue;
    }
    // A shorthand group: letters one after another; one that takes a value takes the rest of the word, or the next word.
    for (let j = 1; j < a.length; j++) {
      const flag = `-${a[j]!}`;
      const known = spec.known[flag];
      if (known === undefined) {
        if (spec.real.includes(flag)) notSimulated(`${spec.path} ${flag}`);
        flagError(`unknown shorthand flag: '${a[j]!}' in -${a.slice(j)}`);
      }
      if (!known.value) {
        set(known.name, "");
        continue;
      }
      const rest = a.slice(j + 1).replace(/^=/, "");
      set(known.name, rest !== "" ? rest : (argv[++i] ?? flagError(`flag needs an argument: '${a[j]!}' in -${a[j]!}`)));
      break;
    }
  }
  return { flags, args };
}

/** Both forms of a simulated flag. */
export function flag(short: string | null, long: string, value = false): Record<string, { name: string; value: boolean }> {
  const f = { name: long, value };
  return short === null ? { [`--${long}`]: f } : { [`-${short}`]: f, [`--${long}`]: f };
}
