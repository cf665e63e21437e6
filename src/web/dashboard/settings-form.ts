import { InstallationSettings } from "../../config/installation-settings.ts";
import { AGENTS, type AgentName } from "../../core/feature.ts";
import { MODEL_IDS } from "../../core/models.ts";

/** The model ids people may choose: the model table's. */
export const MODEL_CHOICES = MODEL_IDS;

/** The settings form's rows: one per agent, its model choice and max_tokens as saved. */
export function modelSettingsRows(settings: InstallationSettings) {
  return AGENTS.map((agent) => {
    const current = settings.models[agent] ?? {};
    return {
      agent,
      label: agent.replace(/_/g, " "),
      maxTokens: current.max_tokens ?? "",
      options: [
        { value: "", label: "default", selected: current.model === undefined },
        ...MODEL_CHOICES.map((model) => ({
          value: model,
          label: model,
          selected: current.model === model,
        })),
      ],
    };
  });
}

/** Reads the settings form: one model and max_tokens per agent, two budgets. */
export function parseSettingsForm(
  form: Record<string, unknown>,
): { ok: true; settings: InstallationSettings } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const models: Partial<Record<AgentName, { model?: string; max_tokens?: number }>> = {};
  for (const agent of AGENTS) {
    const model = String(form[`model_${agent}`] ?? "").trim();
    const maxTokens = String(form[`max_tokens_${agent}`] ?? "").trim();
    const setting: { model?: string; max_tokens?: number } = {};
    if (model) setting.model = model;
    if (maxTokens) setting.max_tokens = Number(maxTokens);
    if (Object.keys(setting).length > 0) models[agent] = setting;
  }
  const budget = (name: string) => {
    const text = String(form[name] ?? "").trim();
    return text === "" ? undefined : Number(text);
  };
  const candidate = {
    models,
    budget_monthly_usd: budget("budget_monthly_usd"),
    budget_feature_usd: budget("budget_feature_usd"),
  };
  const parsed = InstallationSettings.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join(".");
      const label = path.startsWith("models.")
        ? `${path.split(".")[1]} ${path.endsWith("max_tokens") ? "max tokens" : "model"}`
        : path === "budget_monthly_usd"
          ? "monthly budget"
          : path === "budget_feature_usd"
            ? "per-feature budget"
            : path;
      problems.push(`${label}: ${issue.message}`);
    }
    return { ok: false, problems };
  }
  return { ok: true, settings: parsed.data };
}
