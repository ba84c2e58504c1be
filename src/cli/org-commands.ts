import type { Command } from "commander";
import { isOrgRole, ORG_ROLES, type OrgRole } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { changeMemberRole, createOrg, findOrgRole, getOrgByName, removeMember } from "../store/orgs.ts";
import { getUserByName } from "../store/users.ts";
import { checkName, type GlobalOptions, UsageError, withContext } from "./cli-context.ts";
import { checkFullname } from "./user-commands.ts";

export function registerOrgCommands(program: Command): void {
  const org = program.command("org").description("manage organizations and their members");

  org
    .command("create")
    .description("create an organization; the owner becomes its first admin")
    .argument("<name>", "organization name")
    .requiredOption("--owner <user>", "user who becomes an admin member")
    .option("--fullname <text>", "display name (default: the org name)")
    .action(async (name: string, options: { owner: string; fullname?: string }, command: Command) => {
      checkName(name, "organization name");
      checkName(options.owner, "user name");
      const fullname = checkFullname(options.fullname);
      const created = await withContext(command.optsWithGlobals<GlobalOptions>(), async (ctx) => {
        const owner = await getUserByName(ctx.db, options.owner);
        return createOrg(ctx.db, { name, fullname, ownerId: owner.id }, ctx.now());
      });
      process.stdout.write(`Created organization ${created.name} with ${options.owner} as admin\n`);
    });

  org
    .command("add-member")
    .description("add a member, or change a member's role")
    .argument("<org>", "organization name")
    .argument("<user>", "user name")
    .requiredOption("--role <role>", ORG_ROLES.join("|"))
    .action(async (orgName: string, userName: string, options: { role: string }, command: Command) => {
      checkName(orgName, "organization name");
      checkName(userName, "user name");
      const role = checkOrgRole(options.role);
      const change = await withContext(command.optsWithGlobals<GlobalOptions>(), async (ctx) => {
        const found = await getOrgByName(ctx.db, orgName);
        const user = await getUserByName(ctx.db, userName);
        const previous = await findOrgRole(ctx.db, found.id, user.id);
        // The same rule as the HTTP route: the last admin cannot be demoted.
        await changeMemberRole(ctx.db, { orgId: found.id, userId: user.id, role, onlyExisting: false }, ctx.now());
        return { org: found.name, user: user.name, previous };
      });
      const verb = change.previous === undefined ? "Added" : "Set";
      const from = change.previous !== undefined && change.previous !== role ? ` (was ${change.previous})` : "";
      process.stdout.write(`${verb} ${change.user} as ${role} member of ${change.org}${from}\n`);
    });

  org
    .command("remove-member")
    .description("remove a member (an org keeps at least one admin)")
    .argument("<org>", "organization name")
    .argument("<user>", "user name")
    .action(async (orgName: string, userName: string, _options: object, command: Command) => {
      checkName(orgName, "organization name");
      checkName(userName, "user name");
      const removed = await withContext(command.optsWithGlobals<GlobalOptions>(), async (ctx) => {
        const found = await getOrgByName(ctx.db, orgName);
        const user = await getUserByName(ctx.db, userName);
        if (!(await removeMember(ctx.db, found.id, user.id))) {
          throw new HubError("NotFound", `${user.name} is not a member of ${found.name}`);
        }
        return { org: found.name, user: user.name };
      });
      process.stdout.write(`Removed ${removed.user} from ${removed.org}\n`);
    });
}

function checkOrgRole(role: string): OrgRole {
  if (!isOrgRole(role)) throw new UsageError(`Unknown role "${role}": use ${ORG_ROLES.join(", ")}`);
  return role;
}
