//! Fixtures and readers shared by the target tests (each test file includes this module).

#![allow(dead_code)]

use serde_json::Value;

/// One workload with two s3 resources, one of them naming its bucket.
pub const TWO_BUCKETS: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: files
containers:
  main:
    image: busybox
    variables:
      A_KEY: ${resources.bucket-a.access_key_id}
      A_SECRET: ${resources.bucket-a.secret_key}
      A_AWS_KEY: ${resources.bucket-a.aws_access_key_id}
      A_AWS_SECRET: ${resources.bucket-a.aws_secret_key}
      A_BUCKET: ${resources.bucket-a.bucket}
      B_KEY: ${resources.bucket-b.access_key_id}
      B_SECRET: ${resources.bucket-b.secret_key}
resources:
  bucket-a:
    type: s3
  bucket-b:
    type: s3
    params:
      bucket: uploads
";

/// The IAM policy a bucket Job's (or init service's) script writes, with `$BUCKET` as
/// `bucket`.
pub fn policy_of(script: &str, bucket: &str) -> Value {
    let line = script
        .lines()
        .find(|l| l.trim_start().starts_with("printf '{"))
        .unwrap_or_else(|| panic!("no policy in:\n{script}"));
    let format = line.split('\'').nth(1).unwrap();
    let json = format.replace("%s", bucket).replace("\\n", "");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}
