package dev.tidemark.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.StoreException;
import dev.tidemark.json.Json;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The JSON objects of erasure requests and receipts in S3: reads, and S3's errors as Tidemark's. */
final class ErasureObjects {

    private ErasureObjects() {
    }

    /**
     * @param what {@code erasure receipt} or {@code erasure request}, for messages
     * @return the object's JSON, or {@code null} when there is none
     */
    static JsonNode read(S3Client s3, String bucket, String key, String what) {
        try {
            return Json.MAPPER.readTree(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw failure(e, what, "reading it");
        } catch (SdkClientException e) {
            throw unreachable(what, e);
        } catch (java.io.IOException e) {
            throw new StoreException(what + ": the stored object is not JSON", e);
        }
    }

    /** S3's answer as an error: 5xx and 429 are retryable, by status code. */
    static RuntimeException failure(S3Exception e, String what, String doing) {
        String message = what + ": " + doing + " failed: HTTP " + e.statusCode();
        return e.statusCode() >= 500 || e.statusCode() == 429 ? new ConnectionException(message, e) : new StoreException(message, e);
    }

    static ConnectionException unreachable(String what, SdkClientException e) {
        return new ConnectionException(what + ": S3 cannot be reached", e);
    }
}
