// google-ads-node as Tributary's bundles carry it (esbuild `--alias`, infra/lib/node-function.ts): the
// generated protos only. google-ads-api reads the message classes (errors.GoogleAdsFailure, resources, …) at
// load; its ~200 gRPC service clients and their descriptor JSON (about half of a pipeline bundle) are reached
// only through Service.loadService, i.e. gRPC calls, which Tributary never makes: the connector speaks REST
// (customer.query, searchStream over axios). A gRPC call would fail with the library's own
// 'Service "…" could not be found'. The protos' own name is aliased too (google-ads-node/… would be this file).
exports.protos = require('tributary-google-ads-node-protos');
