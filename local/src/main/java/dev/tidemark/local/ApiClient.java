package dev.tidemark.local;

import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * Calls the erasure API as a client does: every request signed with SigV4 for {@code execute-api} by the AWS SDK's
 * signer, as {@code curl --aws-sigv4} or awscurl sign it.
 *
 * @param baseUrl the API's base URL, e.g. {@code http://127.0.0.1:4010}
 * @param accessKey the access key id
 * @param secretKey its secret
 */
public record ApiClient(String baseUrl, String accessKey, String secretKey) {

    /**
     * An answer.
     *
     * @param status the HTTP status
     * @param body the body
     */
    public record Answer(int status, String body) {
    }

    /**
     * @param method {@code GET} or {@code POST}
     * @param path e.g. {@code /erasures}
     * @param body the JSON body, or {@code null}
     * @return the answer
     * @throws IOException when the API cannot be reached
     */
    public Answer send(String method, String path, String body) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        URI uri = URI.create(baseUrl + path);
        SdkHttpRequest.Builder unsigned = SdkHttpRequest.builder().method(SdkHttpMethod.fromValue(method)).uri(uri);
        if (body != null) {
            unsigned.putHeader("Content-Type", "application/json");
        }
        SdkHttpRequest signed = AwsV4HttpSigner.create().sign(r -> r.identity(AwsCredentialsIdentity.create(accessKey, secretKey))
            .request(unsigned.build()).payload(ContentStreamProvider.fromByteArray(bytes))
            .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "execute-api").putProperty(AwsV4HttpSigner.REGION_NAME, LambdaEndpoint.REGION))
            .request();
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(bytes));
        signed.forEachHeader((name, values) -> {
            if (!name.equalsIgnoreCase("Host") && !name.equalsIgnoreCase("Content-Length")) {
                values.forEach(v -> request.header(name, v));
            }
        });
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
