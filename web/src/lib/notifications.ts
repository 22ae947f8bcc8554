/**
 * Desktop notifications, opt-in: a person turns them on (the browser asks its permission then), and the
 * choice is kept in this browser. Shown when a session of theirs waits for them or ends (lib/inbox.ts
 * decides when), while a Tandem tab with the session list is open.
 */
import type { Notice } from "./inbox";

const KEY = "tandem.notifications";

export type NotificationState = "on" | "off" | "denied" | "unsupported";

const supported = () => typeof window !== "undefined" && "Notification" in window;

/** On only when the person turned them on and the browser allows them. */
export function notificationState(): NotificationState {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  return localStorage.getItem(KEY) === "on" && Notification.permission === "granted" ? "on" : "off";
}

/** Turns them on (asking the browser first, from the person's click) or off; the state after. */
export async function setNotifications(on: boolean): Promise<NotificationState> {
  if (!supported()) return "unsupported";
  if (!on) {
    localStorage.setItem(KEY, "off");
    return "off";
  }
  const permission =
    Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
  if (permission !== "granted") return permission === "denied" ? "denied" : "off";
  localStorage.setItem(KEY, "on");
  return "on";
}

/** Shows the notice if they are on; a click brings the tab to the session. */
export function notify(notice: Notice, open: () => void): void {
  if (notificationState() !== "on") return;
  const shown = new Notification(notice.title, { body: notice.body, tag: notice.tag });
  shown.onclick = () => {
    window.focus();
    open();
    shown.close();
  };
}
