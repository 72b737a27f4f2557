package dev.palisade.acceptance.drill;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The drill's HTTP client: every call has a timeout, so a hung server shows up as a failure, not a hung test. */
final class DrillClient {

    static final JsonMapper JSON = new JsonMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private volatile String token;

    /** An answer, or the reason there was none ({@code status} 0: no HTTP answer at all). */
    record Answer(int status, String body, String error) {
        JsonNode json() {
            return JSON.readTree(body);
        }

        @Override
        public String toString() {
            return status == 0 ? "no answer (" + error + ")" : status + " " + (body.length() > 200 ? body.substring(0, 200) : body);
        }
    }

    void login(String base, String user, String password) {
        String basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Answer a = send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens")).header("Authorization", basic)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"drill\"}")));
        if (a.status != 201) {
            throw new IllegalStateException("could not mint a token: " + a);
        }
        token = a.json().get("token").asString();
    }

    Answer get(String url) {
        return send(authed(url).GET());
    }

    Answer post(String url, String json) {
        return send(authed(url).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Answer put(String url, String json) {
        return send(authed(url).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    /**
     * Follows a log over SSE; each {@code log} event's data goes to {@code lines}. Returns the
     * {@code end} event's data (the final state), or null when the stream broke off first.
     */
    String follow(String url, Consumer<String> lines) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(authed(url).header("Accept", "text/event-stream").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IOException("log stream answered " + r.statusCode());
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String event = "message";
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (event.equals("end")) {
                        return data.toString();
                    }
                    if (event.equals("log")) {
                        lines.accept(data.toString());
                    }
                    event = "message";
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
                }
            }
        }
        return null;
    }

    private HttpRequest.Builder authed(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + token);
    }

    private Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), null);
        } catch (IOException e) {
            return new Answer(0, "", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, "", "interrupted");
        }
    }

    static List<String> fields(JsonNode node, String... names) {
        return java.util.Arrays.stream(names).map(n -> n + "=" + node.path(n).asString("")).toList();
    }
}
