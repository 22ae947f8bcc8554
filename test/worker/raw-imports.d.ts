/** Vite's `?raw` imports (the worker tests read their fixtures as text: workerd has no file system). */
declare module "*?raw" {
  const text: string;
  export default text;
}
