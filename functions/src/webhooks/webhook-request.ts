// The webhook Lambda's event as serveWebhook's request. Behind CloudFront the function URL's sourceIp is a
// CloudFront edge, so the client's address comes from CloudFront-Viewer-Address ("ip:port", added by the
// origin request policy). Only the Lambda trusts that header: its function URL takes IAM-signed requests
// from CloudFront alone, while the local webhook server is reached directly and uses the socket's address.
import { isIP } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { WebhookRequest } from './serve-webhook';

/** "198.51.100.10:46532" → "198.51.100.10"; "2001:db8::1:46532" → "2001:db8::1"; anything else → undefined. */
export function viewerAddress(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const cut = header.trim().lastIndexOf(':');
  if (cut <= 0) return undefined;
  const ip = header
    .trim()
    .slice(0, cut)
    .replace(/^\[|\]$/g, '');
  return isIP(ip) ? ip : undefined;
}

export function webhookRequestFromEvent(event: APIGatewayProxyEventV2, requestId: string): WebhookRequest {
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.rawQueryString,
    headers,
    sourceIp: viewerAddress(headers['cloudfront-viewer-address']) ?? event.requestContext.http.sourceIp,
    requestId,
  };
}
