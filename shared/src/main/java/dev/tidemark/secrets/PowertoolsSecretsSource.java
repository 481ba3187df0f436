package dev.tidemark.secrets;

import dev.tidemark.error.SecretException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.lambda.powertools.parameters.secrets.SecretsProvider;

import java.time.temporal.ChronoUnit;

/**
 * {@link SecretsSource} over Powertools for AWS Lambda (Java) parameters: values are cached in memory for
 * {@code maxAgeSeconds} so a warm function does not call Secrets Manager on every invocation.
 */
public final class PowertoolsSecretsSource implements SecretsSource {

    private final SecretsProvider provider;
    private final int maxAgeSeconds;

    /**
     * @param client the Secrets Manager client
     * @param maxAgeSeconds how long a value is cached, in seconds
     */
    public PowertoolsSecretsSource(SecretsManagerClient client, int maxAgeSeconds) {
        this.provider = SecretsProvider.builder().withClient(client).build();
        this.maxAgeSeconds = maxAgeSeconds;
    }

    @Override
    public String secretString(String secretId) {
        if (secretId == null || secretId.isBlank()) {
            throw new SecretException("secretId: missing");
        }
        try {
            String value = provider.withMaxAge(maxAgeSeconds, ChronoUnit.SECONDS).get(secretId);
            if (value == null) {
                throw new SecretException("secret " + secretId + " has no SecretString");
            }
            return value;
        } catch (SecretException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SecretException("secret " + secretId + " could not be read: " + e.getClass().getSimpleName());
        }
    }
}
