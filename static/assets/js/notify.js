// notify.js — opt-in desktop notifications for new replies while the tab is
// hidden. Permission is asked only when the user presses the button in
// the inbox widget; nothing here ever blocks.

const ICON = new URL('../icon.svg', import.meta.url).href;

let openThread = () => {};

/** Sets what clicking a notification does (open the thread's modal). */
export function setNotificationClick(fn) {
  openThread = fn;
}

/** 'unsupported' | 'default' | 'granted' | 'denied' */
export function notificationState() {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.permission;
}

/** Asks for permission (from a click); resolves to the new state. */
export async function askPermission() {
  if (typeof Notification === 'undefined') return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** Shows a notification for an inbound reply when the tab is hidden. */
export function notifyReply(thread, message) {
  if (notificationState() !== 'granted' || document.visibilityState !== 'hidden') return;
  const who = thread?.contact?.name || thread?.contact?.phone || 'A candidate';
  const on = thread?.number?.label ? ` (${thread.number.label})` : '';
  try {
    const n = new Notification(`${who}${on}`, {
      body: message?.missed ? 'A text was missed while the server was down; its words are lost. Call or text them.'
        : (message?.body || '').slice(0, 140),
      tag: `thread-${thread?.id}`,
      icon: ICON,
    });
    n.onclick = () => {
      window.focus();
      n.close();
      if (thread) openThread(thread);
    };
  } catch {
    // Some browsers only allow notifications from a service worker.
  }
}
