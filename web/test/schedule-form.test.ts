import { afterEach, describe, expect, it } from "vitest";
import { setFetch } from "#lib/api.ts";
import { guestAdmission } from "#lib/room-access.ts";
import {
  defaultScheduleForm,
  inViewerZone,
  scheduleToForm,
  toScheduleBody,
  validateSchedule,
} from "#lib/schedule-form.ts";
import type { Schedule } from "#lib/api.ts";

describe("the schedule form", () => {
  it("starts non-interactive in the viewer's zone, and refuses what the server would", () => {
    const form = defaultScheduleForm();
    expect(form.session.interactive).toBe(false);
    expect(form.timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(validateSchedule({ ...form, name: "", cron: "0 9 * *", prompt: " " })).toMatchObject({
      name: expect.any(String),
      cron: expect.stringContaining("Five fields"),
      prompt: expect.any(String),
    });
    expect(validateSchedule({ ...form, name: "n", prompt: "p" })).toEqual({});
  });

  it("sends interactive beside the session body, never inside it, and no session prompt", () => {
    const form = {
      ...defaultScheduleForm(),
      name: " nightly ",
      prompt: "report",
      session: { ...defaultScheduleForm().session, interactive: true, prompt: "ignored" },
    };
    const body = toScheduleBody(form);
    expect(body).toMatchObject({ name: "nightly", cron: "0 9 * * 1-5", prompt: "report", interactive: true });
    expect(body.session).not.toHaveProperty("interactive");
    expect(body.session).not.toHaveProperty("prompt");
  });

  it("an edited schedule's form gives back its body", () => {
    const schedule: Schedule = {
      id: "s1",
      workspaceId: "w1",
      name: "weekly",
      cron: "0 6 * * 1",
      timezone: "Europe/Berlin",
      session: {
        model: "claude-sonnet-4-5",
        temperature: 0.5,
        maxTokens: 4000,
        timeoutSeconds: 900,
        thinking: false,
        permissionMode: "auto",
        repos: [{ url: "https://github.com/a/b.git", branch: "main" }],
        workflow: "bug-fix",
      },
      prompt: "look",
      interactive: false,
      enabled: true,
      nextRunAt: 1,
      createdBy: { id: "u", name: "U" },
      updatedBy: { id: "u", name: "U" },
      createdAt: 1,
      updatedAt: 1,
    };
    const body = toScheduleBody(scheduleToForm(schedule));
    expect(body).toMatchObject({
      name: "weekly",
      cron: "0 6 * * 1",
      timezone: "Europe/Berlin",
      prompt: "look",
      interactive: false,
    });
    expect(body.session).toMatchObject({
      model: "claude-sonnet-4-5",
      maxTokens: 4000,
      timeoutSeconds: 900,
      workflow: "bug-fix",
      repos: [{ url: "https://github.com/a/b.git", branch: "main" }],
    });
  });
});

describe("a run's time", () => {
  it("is shown in the viewer's zone, with the zone named", () => {
    const shown = inViewerZone(Date.UTC(2027, 2, 28, 7, 0));
    expect(shown).toMatch(/2027/);
    expect(shown).toMatch(/UTC|GMT|[A-Z]{3,4}/);
  });
});

describe("a guest's admission", () => {
  afterEach(() => setFetch((...args) => fetch(...args)));

  it("connects with the share link while it works, and ends the view once the link answers 404", async () => {
    let status = 200;
    const asked: string[] = [];
    setFetch(async (url) => {
      asked.push(String(url));
      return new Response(
        status === 200 ? "{}" : JSON.stringify({ error: { code: "not_found", message: "gone" } }),
        { status },
      );
    });
    expect(await guestAdmission("tds_abc")).toEqual({ params: { share: "tds_abc" } });
    status = 404;
    expect(await guestAdmission("tds_abc")).toEqual({ end: "revoked" });
    expect(asked).toEqual(["/api/shares/tds_abc", "/api/shares/tds_abc"]);
    status = 503;
    expect(await guestAdmission("tds_abc")).toEqual({ params: { share: "tds_abc" } });
  });
});
