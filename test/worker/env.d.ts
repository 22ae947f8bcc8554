import type { Env as TandemEnv } from "../../worker/env";
declare global {
  namespace Cloudflare {
    interface Env extends TandemEnv {}
  }
}
