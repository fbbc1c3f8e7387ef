// Fixed credentials the local stand-ins accept. A leaf module (no imports) so that the composition root can
// use them without pulling the stand-ins themselves into a Lambda bundle.
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
/** s3rver accepts exactly these credentials */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
