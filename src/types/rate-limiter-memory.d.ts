// The one limiter the store uses, imported on its own (src/services/accounts/login-throttle.ts
// says why); the package declares its types for its index only.
declare module 'rate-limiter-flexible/lib/RateLimiterMemory.js' {
  import { RateLimiterMemory } from 'rate-limiter-flexible';
  export default RateLimiterMemory;
}
