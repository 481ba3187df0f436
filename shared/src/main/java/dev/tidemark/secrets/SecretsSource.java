package dev.tidemark.secrets;

/** Reads secret strings by id (an AWS Secrets Manager ARN or name). Implementations cache; none logs a value. */
public interface SecretsSource {

    /**
     * @param secretId ARN or name
     * @return the secret string (JSON for connection secrets)
     * @throws dev.tidemark.error.SecretException naming the id when it cannot be read
     */
    String secretString(String secretId);
}
