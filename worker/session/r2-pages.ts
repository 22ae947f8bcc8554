/** An R2 listing under a prefix, page by page (R2 lists at most 1,000 keys a call and says when there are more). */
export async function* r2Pages(bucket: R2Bucket, prefix: string): AsyncGenerator<R2Object[]> {
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    yield page.objects;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}
