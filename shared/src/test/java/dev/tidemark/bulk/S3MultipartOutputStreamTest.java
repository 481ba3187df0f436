package dev.tidemark.bulk;

import dev.tidemark.error.ValidationException;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Streaming uploads on S3Proxy: one PutObject below a chunk, a multipart upload above, nothing left after an abort. */
@ExtendWith(ServersExtension.class)
class S3MultipartOutputStreamTest {

    private static final int CHUNK = S3MultipartOutputStream.MIN_CHUNK;
    private S3Client s3;
    private String key;

    @BeforeEach
    void setUp(S3Server server) {
        s3 = TestServers.s3Client(server, BulkFixture.BUCKET);
        key = TestServers.unique("upload") + "/part-00001.csv";
    }

    private static byte[] random(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private byte[] stored() {
        return s3.getObjectAsBytes(b -> b.bucket(BulkFixture.BUCKET).key(key)).asByteArray();
    }

    private boolean noOpenUpload() {
        return s3.listMultipartUploads(b -> b.bucket(BulkFixture.BUCKET).prefix(key)).uploads().isEmpty();
    }

    @Test
    void lessThanAChunkIsStoredByOnePutWithItsSizeAndSha256() throws Exception {
        byte[] data = random(1000);
        S3MultipartOutputStream out = new S3MultipartOutputStream(s3, BulkFixture.BUCKET, key, CHUNK);
        out.write(data, 0, data.length);
        out.close();
        assertThat(stored()).isEqualTo(data);
        assertThat(out.bytes()).isEqualTo(1000);
        assertThat(out.sha256()).isEqualTo(sha256(data));
        assertThat(noOpenUpload()).isTrue();
    }

    @Test
    void severalChunksAreStoredByAMultipartUploadByteForByte() throws Exception {
        byte[] data = random(CHUNK * 2 + 12345);
        S3MultipartOutputStream out = new S3MultipartOutputStream(s3, BulkFixture.BUCKET, key, CHUNK);
        for (int at = 0; at < data.length; at += 100_000) {
            out.write(data, at, Math.min(100_000, data.length - at));
        }
        out.close();
        assertThat(stored()).isEqualTo(data);
        assertThat(out.sha256()).isEqualTo(sha256(data));
        assertThat(noOpenUpload()).isTrue();
    }

    @Test
    void anAbortedUploadLeavesNoObjectAndNoOpenMultipartUpload() throws Exception {
        byte[] data = random(CHUNK * 2 + 1);
        S3MultipartOutputStream out = new S3MultipartOutputStream(s3, BulkFixture.BUCKET, key, CHUNK);
        out.write(data, 0, data.length);
        assertThat(s3.listMultipartUploads(b -> b.bucket(BulkFixture.BUCKET).prefix(key)).uploads()).hasSize(1);
        out.abort();
        assertThat(noOpenUpload()).isTrue();
        assertThatThrownBy(this::stored).isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void aClientThatCannotBeHadFailsTheFirstRequestAndStoresNothing() {
        S3MultipartOutputStream out = new S3MultipartOutputStream(() -> {
            throw new ValidationException("destination: already holds an export");
        }, BulkFixture.BUCKET, key, CHUNK);
        byte[] data = random(100);
        assertThat(out.bytes()).isZero();
        assertThatThrownBy(() -> {
            out.write(data, 0, data.length);
            out.close();
        }).isInstanceOf(ValidationException.class).hasMessageContaining("already holds an export");
        assertThatThrownBy(this::stored).isInstanceOf(NoSuchKeyException.class);
    }
}
