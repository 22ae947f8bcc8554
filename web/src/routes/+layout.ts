// A single-page app: the Worker serves index.html for every address and the browser does the rest.
export const ssr = false;
export const prerender = false;
