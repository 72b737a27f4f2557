package dev.palisade.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** REST API v1 over HTTP: JSON in and out, a problem+json answer turned into an {@link ApiException}. */
final class Api {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String authorization;
    private String secondFactorCode;

    Api(String base, String authorization) {
        if (base == null) {
            throw new ApiException(0, "not logged in: run palisade login --url URL first");
        }
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.authorization = authorization;
    }

    /** Sends a second factor's code with HTTP Basic ({@code X-Palisade-OTP}), for an account that has one. */
    Api withSecondFactor(String code) {
        this.secondFactorCode = code;
        return this;
    }

    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    JsonNode get(String path) {
        return call("GET", path, null);
    }

    JsonNode post(String path, Object body) {
        return call("POST", path, body);
    }

    JsonNode call(String method, String path, Object body) {
        HttpRequest.Builder request = request(path).header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        }
        HttpResponse<String> answer = send(request, HttpResponse.BodyHandlers.ofString());
        check(answer.statusCode(), answer.body());
        return answer.body() == null || answer.body().isBlank() ? JSON.nullNode() : JSON.readTree(answer.body());
    }

    String text(String path) {
        HttpResponse<String> answer = send(request(path).header("Accept", "text/plain"), HttpResponse.BodyHandlers.ofString());
        check(answer.statusCode(), answer.body());
        return answer.body();
    }

    /** Follows a server-sent event stream, handing each event's data (its lines joined) to the consumer. */
    void follow(String path, java.util.function.BiConsumer<String, String> event) {
        HttpResponse<InputStream> answer = send(request(path).header("Accept", "text/event-stream"),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = answer.body();
                var reader = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
            if (answer.statusCode() / 100 != 2) {
                check(answer.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            String name = "message";
            List<String> data = new ArrayList<>();
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        event.accept(name, String.join("\n", data));
                    }
                    name = "message";
                    data.clear();
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.add(line.startsWith("data: ") ? line.substring(6) : line.substring(5));
                }
            }
        } catch (IOException e) {
            throw new ApiException(0, "the log stream broke off: " + e.getMessage());
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (secondFactorCode != null) {
            request.header("X-Palisade-OTP", secondFactorCode);
        }
        return request;
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request.build(), handler);
        } catch (IOException e) {
            throw new ApiException(0, "cannot reach " + base + ": " + (e.getMessage() == null ? e : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted");
        }
    }

    /** A problem+json (or any error) as one plain line: title, detail, and each field at fault. */
    private static void check(int status, String body) {
        if (status / 100 == 2) {
            return;
        }
        String message = "HTTP " + status;
        try {
            JsonNode problem = JSON.readTree(body);
            StringBuilder line = new StringBuilder(problem.path("title").asString("HTTP " + status));
            String detail = problem.path("detail").asString("");
            if (!detail.isBlank()) {
                line.append(": ").append(detail);
            }
            for (JsonNode e : problem.path("errors")) {
                line.append("; ").append(e.path("field").asString()).append(" ").append(e.path("message").asString());
            }
            message = line.toString();
        } catch (RuntimeException notJson) {
            // keep the status line
        }
        throw new ApiException(status, message);
    }
}
