// axios's CommonJS build, imported by its file (google-ads-client.ts says why); its types are axios's own.
declare module 'axios/dist/node/axios.cjs' {
  import type { AxiosStatic } from 'axios';
  const axios: AxiosStatic;
  export default axios;
}
