/** Signing in with a pasted token (a join link signs in by itself: app.tsx). */
import { useState } from "preact/hooks";
import { useI18n } from "../i18n.js";

export function SignInPage(props: { error: string | null; onToken: (token: string) => void }) {
  const { t } = useI18n();
  const [token, setToken] = useState("");
  return (
    <form
      class="signin"
      onSubmit={(e) => {
        e.preventDefault();
        if (token.trim() !== "") props.onToken(token.trim());
      }}
    >
      <h1>{t("signIn")}</h1>
      <p class="muted">{t("tokenHelp")}</p>
      <label>
        {t("tokenLabel")}
        <input type="password" autoComplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} placeholder="cnlab_…" autoFocus />
      </label>
      {props.error && <p class="error">{props.error}</p>}
      <button class="primary" type="submit">
        {t("signIn")}
      </button>
    </form>
  );
}
