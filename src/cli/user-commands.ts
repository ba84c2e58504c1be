import type { Command } from "commander";
import { z } from "zod";
import { hashPassword, MIN_PASSWORD_LENGTH } from "../auth/passwords.ts";
import { createUser } from "../store/users.ts";
import { checkName, type GlobalOptions, readStdin, UsageError, withContext } from "./cli-context.ts";

/** The sign-in route accepts passwords up to this length, so a longer one could never be used. */
const MAX_PASSWORD_LENGTH = 1024;
const MAX_FULLNAME_LENGTH = 200;
const Email = z.string().max(254).email();

interface UserCreateOptions {
  email: string;
  fullname?: string;
  admin?: boolean;
  passwordStdin?: boolean;
}

export function registerUserCommands(program: Command): void {
  const user = program.command("user").description("manage user accounts");
  user
    .command("create")
    .description("create a user account")
    .argument("<name>", "user name (letters, digits, -, _ and .)")
    .requiredOption("--email <email>", "email address (also accepted at sign-in)")
    .option("--fullname <text>", "display name (default: the user name)")
    .option("--admin", "make the user a site admin")
    .option("--password-stdin", `read the password from stdin (at least ${MIN_PASSWORD_LENGTH} characters)`)
    .action(async (name: string, options: UserCreateOptions, command: Command) => {
      checkName(name, "user name");
      if (!Email.safeParse(options.email).success) throw new UsageError(`Invalid email "${options.email}"`);
      const fullname = checkFullname(options.fullname);
      // Read and check the password before touching the database, so a bad one writes nothing.
      if (options.passwordStdin && process.stdin.isTTY) {
        process.stderr.write("Password (it will be echoed; end with Enter, then Ctrl-D): ");
      }
      const password = options.passwordStdin ? checkPassword(await readStdin()) : undefined;
      const passwordHash = password === undefined ? undefined : await hashPassword(password);
      const created = await withContext(command.optsWithGlobals<GlobalOptions>(), (ctx) =>
        createUser(
          ctx.db,
          { name, email: options.email, fullname, passwordHash, isAdmin: options.admin === true },
          ctx.now(),
        ),
      );
      const what = created.isAdmin ? "admin user" : "user";
      const note = passwordHash ? "" : " (no password: it cannot sign in, but its tokens work)";
      process.stdout.write(`Created ${what} ${created.name}${note}\n`);
    });
}

export function checkFullname(fullname: string | undefined): string | undefined {
  if (fullname === undefined) return undefined;
  const trimmed = fullname.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_FULLNAME_LENGTH) {
    throw new UsageError(`The full name must be 1 to ${MAX_FULLNAME_LENGTH} characters`);
  }
  return trimmed;
}

function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UsageError(`The password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new UsageError(`The password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}
