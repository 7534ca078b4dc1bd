/**
 * `cat FILE…` (coreutils 9.1) over the files the model can show
 * (node-files.ts), or the here-document it was given on standard input.
 * Errors as cat prints them, and exit 1 once any file failed.
 */
import { fail, type CommandHandler } from "./command-context.js";
import { fileView } from "./node-files.js";
import { notSimulated } from "./not-simulated.js";

export const catCommand: CommandHandler = (argv, ctx) => {
  const options = argv.filter((a) => a.startsWith("-") && a !== "-");
  if (options.length > 0) notSimulated(`cat ${options[0]}`);
  const files = argv.length === 0 ? ["-"] : argv;
  let status = 0;
  for (const f of files) {
    if (f === "-") {
      if (ctx.stdin === undefined) notSimulated("cat reading the terminal");
      ctx.out.push(...ctx.stdin.replace(/\n$/, "").split("\n"));
      continue;
    }
    const view = fileView(ctx, f);
    switch (view.kind) {
      case "file":
        ctx.out.push(...view.lines);
        break;
      case "dir":
        ctx.out.push(`cat: ${f}: Is a directory`);
        status = 1;
        break;
      case "missing":
        ctx.out.push(`cat: ${f}: No such file or directory`);
        status = 1;
        break;
      case "unmodelled":
        fail(`cat ${f}: not simulated in cnlab (it shows the CNI files, flanneld's subnet.env and bridge ports' hairpin_mode)`, 1);
    }
  }
  return status;
};
