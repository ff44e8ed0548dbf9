import type { CommandUnknownOpts as Command } from "@commander-js/extra-typings";

// `mosaic completion bash|zsh|fish`: a completion script generated from commander's own
// command tree, so a new command, flag or `-o` value is completable without touching
// this file. Only agent and tenant names are dynamic: the script asks
// `mosaic __complete agents|tenants [-f ROSTER]`, with the roster the command line names
// (else $MOSAIC_ROSTER / $MOSAIC_HOME, as every command reads it). Everything else is
// answered by the shell alone, without starting node.

/** What may follow an option or fill an argument slot. */
export type Values =
  { kind: "words"; words: string[] } | { kind: "files" } | { kind: "agents" } | { kind: "tenants" } | { kind: "free" };

export interface CompletionNode {
  /** "" for the program, "fleet ps" for `mosaic fleet ps`. */
  path: string;
  subcommands: string[];
  /** Every spelling (-o, --output) → what follows it (null: a switch, no value). */
  options: Map<string, Values | null>;
  /** What each positional argument takes, in order. */
  args: Values[];
}

const FILE_OPTIONS = new Set(["--roster", "--output", "--history"]);

function optionValues(option: Command["options"][number]): Values | null {
  if (!option.required && !option.optional) return null;
  if (option.argChoices) return { kind: "words", words: [...option.argChoices] };
  if (option.long === "--tenant") return { kind: "tenants" };
  if (option.long !== undefined && FILE_OPTIONS.has(option.long)) return { kind: "files" };
  return { kind: "free" };
}

function argumentValues(argument: Command["registeredArguments"][number]): Values {
  if (argument.argChoices) return { kind: "words", words: [...argument.argChoices] };
  if (argument.name() === "name") return { kind: "agents" };
  return { kind: "free" };
}

/** The completion model of every visible command, read from the tree. */
export function completionModel(program: Command): CompletionNode[] {
  const help = program.createHelp();
  const nodes: CompletionNode[] = [];
  const walk = (command: Command, path: string) => {
    const subs = help.visibleCommands(command);
    const options = new Map<string, Values | null>();
    for (const option of help.visibleOptions(command)) {
      const values = optionValues(option);
      for (const flag of [option.short, option.long]) if (flag) options.set(flag, values);
    }
    nodes.push({
      path,
      subcommands: subs.map((sub) => sub.name()),
      options,
      args: command.registeredArguments.map(argumentValues),
    });
    for (const sub of subs) if (sub.name() !== "help") walk(sub, path === "" ? sub.name() : `${path} ${sub.name()}`);
  };
  walk(program, "");
  return nodes;
}

/** Single-quoted for sh, bash, zsh and fish alike (none of our words hold a quote). */
function sq(text: string): string {
  return `'${text.replaceAll("'", "")}'`;
}

/** The marker a data function prints for a value kind; words are printed as they are. */
function valueText(values: Values): string {
  switch (values.kind) {
    case "words":
      return values.words.join(" ");
    case "files":
      return "@files";
    case "agents":
      return "@agents";
    case "tenants":
      return "@tenants";
    case "free":
      return "";
  }
}

/** Data functions in bash/zsh syntax: the tree as `case` tables. */
function posixData(nodes: CompletionNode[]): string {
  const subcommands = nodes.map((n) => `    ${sq(n.path)}) echo ${sq(n.subcommands.join(" "))} ;;`);
  const options = nodes.map((n) => `    ${sq(n.path)}) echo ${sq([...n.options.keys()].join(" "))} ;;`);
  const values = nodes.flatMap((n) =>
    [...n.options].flatMap(([flag, v]) =>
      v === null ? [] : [`    ${sq(`${n.path}|${flag}`)}) echo ${sq(valueText(v))} ;;`],
    ),
  );
  const args = nodes.flatMap((n) => n.args.map((v, i) => `    ${sq(`${n.path}|${i}`)}) echo ${sq(valueText(v))} ;;`));
  return `__mosaic_subcommands() {
  case "$1" in
${subcommands.join("\n")}
  esac
}
__mosaic_options() {
  case "$1" in
${options.join("\n")}
  esac
}
# What follows option $2 of command $1; fails for a switch that takes no value.
__mosaic_option_values() {
  case "$1|$2" in
${values.join("\n")}
    *) return 1 ;;
  esac
}
__mosaic_argument() {
  case "$1|$2" in
${args.join("\n")}
  esac
}`;
}

/** The shared engine (bash and zsh): walk the words typed so far, print the candidates (or @files). */
const POSIX_ENGINE = `# Prints the candidates for the word being completed: $1 = the program as typed,
# $2 = the current word, then the words between them.
__mosaic_candidates() {
  local __prog=$1 __cur=$2 __cmd="" __pending="" __roster="" __tenant="" __nargs=0 __w __list
  shift 2
  for __w in "$@"; do
    if [ -n "$__pending" ]; then
      case "$__pending" in -f|--roster) __roster=$__w ;; --tenant) __tenant=$__w ;; esac
      __pending=""
      continue
    fi
    case "$__w" in
      --roster=*) __roster=\${__w#--roster=} ;;
      --tenant=*) __tenant=\${__w#--tenant=} ;;
      -*) if __mosaic_option_values "$__cmd" "$__w" >/dev/null; then __pending=$__w; fi ;;
      *)
        case " $(__mosaic_subcommands "$__cmd") " in
          *" $__w "*) __cmd=\${__cmd:+$__cmd }$__w; __nargs=0 ;;
          *) __nargs=$((__nargs + 1)) ;;
        esac ;;
    esac
  done
  if [ -n "$__pending" ]; then
    __list=$(__mosaic_option_values "$__cmd" "$__pending")
  else
    case "$__cur" in
      -*) __list=$(__mosaic_options "$__cmd") ;;
      *) __list="$(__mosaic_subcommands "$__cmd") $(__mosaic_argument "$__cmd" "$__nargs")" ;;
    esac
  fi
  case " $__list " in
    *" @files "*) echo "@files"; return ;;
    *" @agents "*) __list="\${__list/@agents/} $(__mosaic_names "$__prog" agents "$__roster" "$__tenant")" ;;
    *" @tenants "*) __list="\${__list/@tenants/} $(__mosaic_names "$__prog" tenants "$__roster" "")" ;;
  esac
  echo "$__list"
}
# Names from the roster in effect: the one on the command line (and its --tenant), else
# mosaic's own default ($MOSAIC_ROSTER, $MOSAIC_HOME).
__mosaic_names() {
  if [ -n "$3" ] && [ -n "$4" ]; then
    "$1" __complete "$2" --roster "$3" --tenant "$4" 2>/dev/null
  elif [ -n "$3" ]; then
    "$1" __complete "$2" --roster "$3" 2>/dev/null
  elif [ -n "$4" ]; then
    "$1" __complete "$2" --tenant "$4" 2>/dev/null
  else
    "$1" __complete "$2" 2>/dev/null
  fi
}`;

function bashScript(nodes: CompletionNode[]): string {
  return `# mosaic completion for bash, generated by \`mosaic completion bash\` from mosaic's command tree.
# Load it with: source <(mosaic completion bash)
${posixData(nodes)}
${POSIX_ENGINE}
_mosaic() {
  local cur=\${COMP_WORDS[COMP_CWORD]} list
  list=$(__mosaic_candidates "\${COMP_WORDS[0]}" "$cur" "\${COMP_WORDS[@]:1:COMP_CWORD-1}")
  if [ "$list" = "@files" ]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$list" -- "$cur"))
  fi
}
complete -F _mosaic mosaic
`;
}

function zshScript(nodes: CompletionNode[]): string {
  return `#compdef mosaic
# mosaic completion for zsh, generated by \`mosaic completion zsh\` from mosaic's command tree.
# Load it with: source <(mosaic completion zsh), or save it as _mosaic in a directory of $fpath.
${posixData(nodes)}
${POSIX_ENGINE}
_mosaic() {
  local list
  list=$(__mosaic_candidates "\${words[1]}" "\${words[CURRENT]}" "\${(@)words[2,CURRENT-1]}")
  if [[ $list == @files ]]; then
    _files
  else
    compadd -- \${=list}
  fi
}
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _mosaic "$@"
else
  compdef _mosaic mosaic
fi
`;
}

function fishScript(nodes: CompletionNode[]): string {
  const cases = (entries: string[][]) =>
    entries
      .map(([pattern, text]) => `        case ${sq(pattern ?? "")}\n            echo ${sq(text ?? "")}`)
      .join("\n");
  const values = nodes.flatMap((n) =>
    [...n.options].flatMap(([flag, v]) => (v === null ? [] : [[`${n.path}|${flag}`, valueText(v)]])),
  );
  return `# mosaic completion for fish, generated by \`mosaic completion fish\` from mosaic's command tree.
# Load it with: mosaic completion fish | source
function __mosaic_subcommands
    switch "$argv[1]"
${cases(nodes.map((n) => [n.path, n.subcommands.join(" ")]))}
    end
end
function __mosaic_options
    switch "$argv[1]"
${cases(nodes.map((n) => [n.path, [...n.options.keys()].join(" ")]))}
    end
end
function __mosaic_option_values
    switch "$argv[1]|$argv[2]"
${cases(values)}
        case '*'
            return 1
    end
end
function __mosaic_argument
    switch "$argv[1]|$argv[2]"
${cases(nodes.flatMap((n) => n.args.map((v, i) => [`${n.path}|${i}`, valueText(v)])))}
    end
end
function __mosaic_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l prog $tokens[1]
    set -e tokens[1]
    set -l cmd ''
    set -l pending ''
    set -l roster ''
    set -l tenant ''
    set -l nargs 0
    for w in $tokens
        if test -n "$pending"
            if contains -- $pending -f --roster
                set roster $w
            else if test "$pending" = --tenant
                set tenant $w
            end
            set pending ''
            continue
        end
        switch $w
            case '--roster=*'
                set roster (string replace -- '--roster=' '' $w)
            case '--tenant=*'
                set tenant (string replace -- '--tenant=' '' $w)
            case '-*'
                if __mosaic_option_values "$cmd" $w >/dev/null
                    set pending $w
                end
            case '*'
                if contains -- $w (string split ' ' (__mosaic_subcommands "$cmd"))
                    set cmd (string trim -- "$cmd $w")
                    set nargs 0
                else
                    set nargs (math $nargs + 1)
                end
        end
    end
    set -l list
    if test -n "$pending"
        set list (string split ' ' (__mosaic_option_values "$cmd" $pending))
    else if string match -q -- '-*' $cur
        set list (string split ' ' (__mosaic_options "$cmd"))
    else
        set list (string split ' ' (__mosaic_subcommands "$cmd")) (string split ' ' (__mosaic_argument "$cmd" $nargs))
    end
    set -l rosterargs
    if test -n "$roster"
        set rosterargs --roster $roster
    end
    set -l tenantargs
    if test -n "$tenant"
        set tenantargs --tenant $tenant
    end
    for item in $list
        switch $item
            case '@files'
                __fish_complete_path $cur
            case '@agents'
                $prog __complete agents $rosterargs $tenantargs 2>/dev/null
            case '@tenants'
                $prog __complete tenants $rosterargs 2>/dev/null
            case ''
            case '*'
                echo $item
        end
    end
end
complete -c mosaic -f -a '(__mosaic_complete)'
`;
}

/** The completion script for `shell`, from the program's command tree. */
export function completionScript(shell: string, program: Command): string {
  const nodes = completionModel(program);
  switch (shell) {
    case "bash":
      return bashScript(nodes);
    case "zsh":
      return zshScript(nodes);
    default:
      return fishScript(nodes);
  }
}
