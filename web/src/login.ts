import { postJson } from './api.js';
import './style.css';

/** The login form: POST /api/login, then on to the dashboard (the cookie is HttpOnly). */
const form = document.querySelector<HTMLFormElement>('#login-form');
const error = document.querySelector<HTMLParagraphElement>('#login-error');
const site = document.querySelector<HTMLInputElement>('#site');
const secret = document.querySelector<HTMLInputElement>('#secret-key');

form?.addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    if (error !== null) error.hidden = true;
    const response = await postJson('login', {
      site: site?.value.trim() ?? '',
      secretKey: secret?.value.trim() ?? '',
    });
    if (response.ok) {
      location.assign('/');
      return;
    }
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    if (error !== null) {
      error.textContent = body.message ?? `Login failed (HTTP ${response.status}).`;
      error.hidden = false;
    }
  })();
});
