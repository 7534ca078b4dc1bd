/**
 * The page's shell: the top bar (labs, instructor, language, theme, sign
 * out) and the screen for the current path. Signing in is reading the token
 * (a join link's fragment, or pasted) and asking GET /api/me who it is.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ApiError } from "./api/client.js";
import type { Me } from "./api/types.js";
import { loadToken, saveToken, tokenFromFragment } from "./auth/token-store.js";
import { I18nContext, initialLang, makeI18n, type Lang } from "./i18n.js";
import { BenchPage } from "./pages/bench.js";
import { CataloguePage } from "./pages/catalogue.js";
import { InstructorPage } from "./pages/instructor.js";
import { SignInPage } from "./pages/sign-in.js";
import { navigate, onLinkClick, useRoute } from "./router.js";

type Theme = "light" | "dark";

function initialTheme(): Theme {
  const saved = localStorage.getItem("cnlab.theme");
  if (saved === "light" || saved === "dark") return saved;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

// A join link's token is taken out of the address bar before anything renders.
const joined = tokenFromFragment(location.hash);
if (joined !== null) {
  saveToken(joined);
  history.replaceState(null, "", location.pathname + location.search);
}

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [me, setMe] = useState<Me | null | undefined>(loadToken() === null ? null : undefined);
  const [signInError, setSignInError] = useState<string | null>(null);
  const [title, setTitle] = useState<string>("");
  const route = useRoute();
  const i18n = useMemo(() => makeI18n(lang), [lang]);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("cnlab.theme", theme);
  }, [theme]);
  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    localStorage.setItem("cnlab.lang", lang);
  }, [lang]);

  const signIn = async () => {
    try {
      setMe(await api<Me>("/api/me"));
      setSignInError(null);
    } catch (err) {
      // Only a refused token is forgotten; a busy server (429) or a network hiccup keeps it for the next try.
      if (err instanceof ApiError && err.status === 401) saveToken(null);
      setMe(null);
      setSignInError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    }
  };
  useEffect(() => {
    if (me === undefined) void signIn();
  }, []);

  const signOut = () => {
    saveToken(null);
    setMe(null);
    navigate("/");
  };

  let screen;
  const path = route.path.replace(/\/+$/, "") || "/";
  if (me === undefined) screen = <div class="page muted">…</div>;
  else if (me === null)
    screen = (
      <SignInPage
        error={signInError}
        onToken={(token) => {
          saveToken(token);
          void signIn();
        }}
      />
    );
  else if (path.startsWith("/labs/")) screen = <BenchPage key={path} me={me} labId={decodeURIComponent(path.slice(6))} onTitle={setTitle} />;
  else if (path.startsWith("/sessions/")) screen = <BenchPage key={path} me={me} sessionId={decodeURIComponent(path.slice(10))} onTitle={setTitle} />;
  else if (path.startsWith("/instructor") && me.role === "instructor") screen = <InstructorPage tab={path.split("/")[2] ?? "class"} />;
  else screen = <CataloguePage me={me} />;

  const inBench = path.startsWith("/labs/") || path.startsWith("/sessions/");
  return (
    <I18nContext.Provider value={i18n}>
      <div class="app">
        <header class="topbar">
          <a class="brand" href="/" onClick={onLinkClick("/")}>
            <img src="/favicon.svg" width={20} height={20} alt="" /> cnlab
          </a>
          {me && (
            <nav>
              <a href="/" class={path === "/" ? "active" : ""} onClick={onLinkClick("/")}>
                {i18n.t("labs")}
              </a>
              {me.role === "instructor" && (
                <a href="/instructor/class" class={path.startsWith("/instructor") ? "active" : ""} onClick={onLinkClick("/instructor/class")}>
                  {i18n.t("instructor")}
                </a>
              )}
            </nav>
          )}
          {inBench && <span class="lab-title">{title}</span>}
          <span class="spacer" />
          <span class="seg" role="group" aria-label="language">
            <button aria-pressed={lang === "en"} onClick={() => setLang("en")}>
              EN
            </button>
            <button aria-pressed={lang === "zh"} onClick={() => setLang("zh")}>
              中文
            </button>
          </span>
          <span class="seg" role="group" aria-label="theme">
            <button aria-pressed={theme === "light"} onClick={() => setTheme("light")}>
              {i18n.t("light")}
            </button>
            <button aria-pressed={theme === "dark"} onClick={() => setTheme("dark")}>
              {i18n.t("dark")}
            </button>
          </span>
          {me && (
            <>
              <span class="muted" data-testid="me">
                {me.name} · {me.role}
              </span>
              <button onClick={signOut}>{i18n.t("signOut")}</button>
            </>
          )}
        </header>
        <main>{screen}</main>
      </div>
    </I18nContext.Provider>
  );
}
