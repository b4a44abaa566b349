// Small helpers of the share panel (share.js, savedruns.js): messages, JSON requests, edit tokens, links.

import { ApiError } from "./api.js";

export const $ = (id) => document.getElementById(id);
const TOKENS_KEY = "kp-edit-tokens";

export function say(text, isError = false) {
  const box = $("share-message");
  box.textContent = text || "";
  box.hidden = !text;
  box.classList.toggle("error", isError);
}

export async function call(method, url, body, headers = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data?.errors || [{ field: "", message: response.statusText }]);
  return data;
}

export function tokens() {
  try {
    return JSON.parse(localStorage.getItem(TOKENS_KEY)) || {};
  } catch {
    return {};
  }
}

export function keepToken(id, token) {
  localStorage.setItem(TOKENS_KEY, JSON.stringify({ ...tokens(), [id]: token }));
}

export function savedLink(id) {
  return `${location.origin}/saved/${encodeURIComponent(id)}`;
}

export async function copy(text, input) {
  input.value = text;
  input.select();
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    document.execCommand("copy"); // http pages without the clipboard API: the selected input
  }
}

export function loss(v) {
  return typeof v === "number" ? v.toFixed(3) : "—";
}

// ---------------------------------------------------------------- following runs

