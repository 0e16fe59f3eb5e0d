import { describe, expect, it } from "vitest";
import { decideTicket, type TicketPolicy } from "../../src/capacity/decide-ticket.js";
import { DAY_MS } from "../../src/capacity/daily-series.js";
import { ORIGIN_MS, plannedWithRunway, ticketRecord, unplanned } from "../support/capacity-fixtures.js";

const policy: TicketPolicy = {
  thresholdDays: 90,
  updateShiftDays: 7,
  updateShiftFraction: 0.2,
  resolveMargin: 0.25,
};

describe("decideTicket without an open ticket", () => {
  it.each([
    ["never had one", undefined],
    ["had one that was resolved", ticketRecord("resolved", 200)],
  ])("opens when the p90 runway is under the threshold (%s)", (_, previous) => {
    expect(decideTicket(plannedWithRunway(89), previous, policy).action).toBe("open");
    expect(decideTicket(plannedWithRunway(0), previous, policy).action).toBe("open");
  });

  it.each([
    ["exactly at the threshold", 90],
    ["over the threshold", 150],
    ["beyond the horizon", undefined],
  ])("does nothing when the p90 runway is %s", (_, days) => {
    expect(decideTicket(plannedWithRunway(days), undefined, policy).action).toBe("none");
    expect(decideTicket(plannedWithRunway(days), ticketRecord("resolved", 40), policy).action).toBe("none");
  });

  it("opens on the p90 runway even when the p50 runway is comfortable", () => {
    expect(decideTicket(plannedWithRunway(60, 170), undefined, policy).action).toBe("open");
  });

  it("never opens a ticket without a usable forecast", () => {
    expect(decideTicket(unplanned(), undefined, policy)).toMatchObject({ action: "none" });
    expect(decideTicket(unplanned(), ticketRecord("resolved", 10), policy).action).toBe("none");
  });
});

describe("decideTicket with an open ticket", () => {
  const open60 = ticketRecord("open", 60);

  it("does nothing when the forecast is unusable, whatever the ticket said", () => {
    expect(decideTicket(unplanned(), open60, policy).reason).toMatch(/ticket left as it is/);
  });

  it("does nothing when the same forecast is seen again (same runway date)", () => {
    expect(decideTicket(plannedWithRunway(60), open60, policy).action).toBe("none");
  });

  it("compares dates, not days left: a day later, the same date is no move", () => {
    const tomorrow = plannedWithRunway(59, 80, ORIGIN_MS + DAY_MS);
    expect(decideTicket(tomorrow, open60, policy).action).toBe("none");
  });

  it.each([
    [6, "none"],
    [7, "update"],
    [-6, "none"],
    [-7, "update"],
    [25, "update"],
  ])("a p90 date moved by %i days from a 60-day runway → %s (7 days is material)", (shift, action) => {
    expect(decideTicket(plannedWithRunway(60 + shift), open60, policy).action).toBe(action);
  });

  it("near the end, 20% of the reported runway is material even under 7 days", () => {
    const open10 = ticketRecord("open", 10);
    expect(decideTicket(plannedWithRunway(8), open10, policy).action).toBe("update"); // 2 d ≥ 20% of 10
    expect(decideTicket(plannedWithRunway(9), open10, policy).action).toBe("none"); // 1 d < 2 d
  });

  it("a move of at least one day is needed even when the reported runway was zero", () => {
    const open0 = ticketRecord("open", 0);
    expect(decideTicket(plannedWithRunway(0), open0, policy).action).toBe("none");
    expect(decideTicket(plannedWithRunway(1), open0, policy).action).toBe("update");
  });

  it("resolves when the p90 crossing leaves the horizon", () => {
    expect(decideTicket(plannedWithRunway(undefined), open60, policy)).toMatchObject({
      action: "resolve",
      reason: expect.stringMatching(/no p90 crossing within 180 d/) as unknown,
    });
  });

  it.each([
    [112, "update"],
    [113, "resolve"],
    [150, "resolve"],
  ])("resolves only past threshold × 1.25 (112.5 d): p90 runway %i d → %s", (days, action) => {
    expect(decideTicket(plannedWithRunway(days), open60, policy).action).toBe(action);
  });

  it("keeps a ticket open (no flapping) while the runway hovers just over the threshold", () => {
    const open88 = ticketRecord("open", 88);
    for (const days of [89, 91, 92, 94]) {
      expect(decideTicket(plannedWithRunway(days), open88, policy).action).toBe("none");
    }
  });

  it("with no margin, resolves as soon as the runway is back at the threshold", () => {
    const noMargin = { ...policy, resolveMargin: 0 };
    expect(decideTicket(plannedWithRunway(90), open60, noMargin).action).toBe("resolve");
    expect(decideTicket(plannedWithRunway(89), open60, noMargin).action).toBe("update");
  });

  it("updates when the open ticket had reported no crossing date", () => {
    expect(decideTicket(plannedWithRunway(30), ticketRecord("open", undefined), policy).action).toBe(
      "update",
    );
  });
});
