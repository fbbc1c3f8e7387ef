// Seam: the webhook Lambda's event → serveWebhook's request. Behind CloudFront the function URL's sourceIp
// is an edge server; the access log must record the client, which CloudFront names in CloudFront-Viewer-Address.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { viewerAddress, webhookRequestFromEvent } from './webhook-request';

function event(headers: Record<string, string>, sourceIp = '130.176.1.2'): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/webhook/v1/twk_x/data',
    rawQueryString: 'format=csv',
    headers,
    requestContext: {
      http: { method: 'GET', path: '/webhook/v1/twk_x/data', protocol: 'HTTP/1.1', sourceIp, userAgent: 'Excel' },
    },
  } as unknown as APIGatewayProxyEventV2;
}

describe('webhook request from a function URL event', () => {
  it('when CloudFront names the viewer, the request carries the client address, not the edge', () => {
    expect(webhookRequestFromEvent(event({ 'CloudFront-Viewer-Address': '198.51.100.10:46532' }), 'r1').sourceIp).toBe(
      '198.51.100.10',
    );
    expect(
      webhookRequestFromEvent(event({ 'cloudfront-viewer-address': '2001:db8:85a3::8a2e:370:7334:443' }), 'r2')
        .sourceIp,
    ).toBe('2001:db8:85a3::8a2e:370:7334');
  });

  it('when the header is missing or not an address, it falls back to the connection address', () => {
    expect(webhookRequestFromEvent(event({}), 'r3').sourceIp).toBe('130.176.1.2');
    expect(viewerAddress('not-an-ip:80')).toBeUndefined();
    expect(viewerAddress('198.51.100.10')).toBeUndefined();
    expect(viewerAddress('')).toBeUndefined();
  });
});
