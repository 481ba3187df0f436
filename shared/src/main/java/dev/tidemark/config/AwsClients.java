package dev.tidemark.config;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.net.URI;
import java.util.Map;

/**
 * Builds AWS SDK v2 clients from an environment map (normally {@code System.getenv()}; the local runtime passes each
 * function's own map). Honours {@code AWS_REGION}, {@code AWS_ENDPOINT_URL}, {@code AWS_ENDPOINT_URL_S3},
 * {@code AWS_ENDPOINT_URL_SECRETS_MANAGER}, {@code AWS_REQUEST_CHECKSUM_CALCULATION} and
 * {@code AWS_RESPONSE_CHECKSUM_VALIDATION} ({@code when_required}); static keys when {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}
 * are in the map, otherwise the default provider chain. S3 uses path-style addressing when an endpoint is overridden.
 * Uses the URL-connection HTTP client (small, fast to start).
 */
public final class AwsClients {

    private final Map<String, String> env;

    /** @param env environment variables */
    public AwsClients(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** @return a new S3 client */
    public S3Client s3() {
        var builder = S3Client.builder().httpClient(UrlConnectionHttpClient.create()).region(region()).credentialsProvider(credentials());
        if ("when_required".equalsIgnoreCase(env.get("AWS_REQUEST_CHECKSUM_CALCULATION"))) {
            builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
        }
        if ("when_required".equalsIgnoreCase(env.get("AWS_RESPONSE_CHECKSUM_VALIDATION"))) {
            builder.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        String endpoint = endpoint("AWS_ENDPOINT_URL_S3");
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint)).forcePathStyle(true)
                .overrideConfiguration(c -> c.addExecutionInterceptor(new NoExpectContinue()));
        }
        return builder.build();
    }

    /**
     * Drops {@code Expect: 100-continue} from uploads to an overridden (S3-compatible) endpoint: not every one answers
     * the interim 100 status, and the URL-connection client then waits out a timeout on every PUT.
     */
    private static final class NoExpectContinue implements ExecutionInterceptor {
        @Override
        public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
            return context.httpRequest().toBuilder().removeHeader("Expect").build();
        }
    }

    /** @return a new Secrets Manager client */
    public SecretsManagerClient secretsManager() {
        var builder = SecretsManagerClient.builder().httpClient(UrlConnectionHttpClient.create()).region(region()).credentialsProvider(credentials());
        String endpoint = endpoint("AWS_ENDPOINT_URL_SECRETS_MANAGER");
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder.build();
    }

    /**
     * Builds a client of any other AWS service the same way (URL-connection HTTP client, region, credentials), its
     * endpoint overridden by {@code endpointVariable} or {@code AWS_ENDPOINT_URL} when set.
     *
     * @param builder the service's client builder, e.g. {@code SfnClient.builder()}
     * @param endpointVariable the service's endpoint variable, e.g. {@code AWS_ENDPOINT_URL_SFN}
     * @param <B> the builder type
     * @param <C> the client type
     * @return a new client; the caller closes it
     */
    public <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C>
        & software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder<B, C>, C> C build(B builder, String endpointVariable) {
        builder.httpClient(UrlConnectionHttpClient.create()).region(region()).credentialsProvider(credentials());
        String endpoint = endpoint(endpointVariable);
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder.build();
    }

    private String endpoint(String specific) {
        String v = env.get(specific);
        if (v == null || v.isBlank()) {
            v = env.get("AWS_ENDPOINT_URL");
        }
        return v == null || v.isBlank() ? null : v;
    }

    private Region region() {
        String r = env.getOrDefault("AWS_REGION", env.getOrDefault("AWS_DEFAULT_REGION", "us-east-1"));
        return Region.of(r);
    }

    private AwsCredentialsProvider credentials() {
        String key = env.get("AWS_ACCESS_KEY_ID");
        String secret = env.get("AWS_SECRET_ACCESS_KEY");
        if (key != null && secret != null) {
            String token = env.get("AWS_SESSION_TOKEN");
            if (token != null) {
                return StaticCredentialsProvider.create(software.amazon.awssdk.auth.credentials.AwsSessionCredentials.create(key, secret, token));
            }
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(key, secret));
        }
        return DefaultCredentialsProvider.builder().build();
    }
}
