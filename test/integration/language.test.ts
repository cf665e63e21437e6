// A Spanish-speaking issue author: the BA answers in Spanish and reports `language: "es"`, and
// from then on the app's own comments in the issue (the status, the gate replies, the
// refusals) are in Spanish too; commands, ids and code stay as they are.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BRIEF, DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

const AUTHOR = "carmen";
const READER = "bob";

let h: Harness;
let unscript: () => void = () => {};
beforeAll(async () => {
  h = await startHarness({ files: DEMO_REPO_FILES });
  h.github.setPermission(OWNER, REPO, AUTHOR, "write");
  h.github.setPermission(OWNER, REPO, READER, "read");
  // First match wins: this BA, answering in Spanish, before the demo's English one.
  const removeBa = h.model.respond(byTool("submit_ba_reply"), (request) => ({
    toolUse: {
      name: "submit_ba_reply",
      input: request.lastUserText.includes("(no comments yet)")
        ? {
            reply: "¡Gracias! Una pregunta: ¿cada cuánto consulta el balanceador de carga?",
            brief: null,
            language: "es",
          }
        : {
            reply: "Entendido. Aquí está el brief; di `/approve` cuando esté bien.",
            brief: BRIEF,
            language: "es",
          },
    },
  }));
  const removeDemo = scriptDemoFeature(h.model);
  unscript = () => {
    removeBa();
    removeDemo();
  };
});
afterAll(async () => {
  unscript();
  await h?.stop();
});

const { feature, say, waitStage, open, botComments } = journey(() => h);

/** The one bot comment whose body includes `text`, once it is there. */
const commentWith = (issue: number, text: string) =>
  waitFor(`a comment with "${text}"`, () => botComments(issue).find((c) => c.body.includes(text)));
const statusOf = (issue: number) =>
  botComments(issue).find((c) => c.body.includes("<!-- practical:status"))?.body ?? "";

describe("replies in the issue author's language", () => {
  it("a Spanish-speaking author gets the status, the gate replies and the refusals in Spanish", async () => {
    const issue = await open(
      "Un endpoint de salud",
      "Nuestro balanceador de carga necesita saber si el servicio está en marcha. ¿Podemos tener un endpoint que pueda consultar?",
      AUTHOR,
    );
    await commentWith(issue, "¿cada cuánto consulta el balanceador");
    await waitFor("the language kept", async () => (await feature(issue))?.language === "es");

    // The status, rewritten in Spanish once the BA has said which language the author writes.
    await waitFor("the status in Spanish", () =>
      statusOf(issue).includes("### Build Practical — Redactando el brief"),
    );
    const drafting = statusOf(issue);
    expect(drafting).toContain("- [ ] **Brief acordado con el agente BA** ← ahora");
    expect(drafting).toContain("**Uso del modelo:**");
    expect(drafting).toContain("Comandos ahora: `/cancel` `/status` `/help`");
    expect(drafting).toContain(
      "Escrito por un agente de IA de Build Practical. Comandos: `/help`.",
    );
    expect(drafting).not.toContain("Drafting the brief");

    // /approve before there is a brief: the gate's answer, in Spanish.
    await say(issue, "/approve", AUTHOR);
    const early = await commentWith(issue, "Todavía no hay nada que aprobar");
    expect(early.body).toContain(
      "Todavía no hay nada que aprobar: la funcionalidad está en **Redactando el brief**. El agente BA publicará un brief cuando tenga lo que necesita; sigue la conversación.",
    );

    // The brief, framed in Spanish around the BA's own Spanish reply.
    await say(issue, "Cada 10 segundos, y solo mira el código de estado.", AUTHOR);
    const brief = await commentWith(issue, "Aquí está el brief");
    expect(brief.body).toContain(
      "**Cuando este brief sea correcto, una persona con acceso de escritura dice `/approve`**",
    );

    // A refusal: someone with read access cannot approve; told so in Spanish.
    await say(issue, "/approve", READER);
    const refusal = await commentWith(issue, "@bob, `/approve` necesita acceso **write**");
    expect(refusal.body).toContain(
      "@bob, `/approve` necesita acceso **write** a este repositorio (o superior); tú tienes **read**. Pide a un mantenedor que lo ejecute.",
    );
    expect((await feature(issue))?.stage).toBe("drafting");

    // The brief approved with /approve (a 👍 and the status); the spec with the label, which
    // gets the gate's reply.
    await say(issue, "/approve", AUTHOR);
    await waitStage(issue, "spec_ready");
    await waitFor("the spec gate in the status", () =>
      statusOf(issue).includes("### Build Practical — Especificación lista para aprobar"),
    );
    expect(statusOf(issue)).toMatch(/- brief `[0-9a-f]{7}` por @carmen el .+ UTC/);
    expect(statusOf(issue)).toContain("- [x] Brief acordado con el agente BA");

    await h.send(
      h.github.labelIssue({
        owner: OWNER,
        repo: REPO,
        number: issue,
        label: "practical:approve",
        by: AUTHOR,
      }),
    );
    const approved = await commentWith(issue, "@carmen aprobó **especificación**");
    expect(approved.body).toMatch(
      /✅ @carmen aprobó \*\*especificación\*\* \(versión `[0-9a-f]{7}`\)\. Siguiente paso: \*\*Escribiendo el plan\*\*\./,
    );
    await waitStage(issue, "plan_ready");

    // Nothing the app wrote in this issue after the BA's first reply is in English.
    const english = [
      "Commands now:",
      "There is nothing to approve",
      "was approved by",
      "needs **write** access",
    ];
    for (const c of botComments(issue)) {
      for (const text of english) expect(c.body).not.toContain(text);
    }
  });
});
