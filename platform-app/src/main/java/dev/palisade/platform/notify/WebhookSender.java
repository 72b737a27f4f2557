package dev.palisade.platform.notify;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.palisade.platform.notify.WebhookStore.Due;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.mail.MailException;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.context.annotation.Configuration;

/**
 * Sends the deliveries that are due, as a recurring db-scheduler task, so that one instance at a
 * time sends (never two the same event at once). A 2xx answer delivers; anything else, or no
 * answer, is retried after a wait that doubles from {@code firstRetry} up to {@code maxRetry},
 * until {@code maxAttempts}. Redirects are not followed, and a URL that resolves into the
 * platform's own network is refused unless {@code allowPrivateAddresses}. A {@code mailto:}
 * webhook is an email through the configured SMTP server instead, delivered once the server has
 * accepted it, retried alike.
 */
@Configuration(proxyBeanMethods = false)
class WebhookSender {

    static final String TASK = "webhook-deliveries";
    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
    private static final int BATCH = 50;

    private final WebhookStore store;
    private final NotificationProperties properties;
    private final HttpClient http;
    private final ObjectProvider<JavaMailSender> mail;

    WebhookSender(WebhookStore store, NotificationProperties properties, ObjectProvider<JavaMailSender> mail) {
        this.store = store;
        this.properties = properties;
        this.mail = mail;
        this.http = HttpClient.newBuilder().connectTimeout(properties.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Bean
    RecurringTask<Void> webhookDeliveries() {
        return Tasks.recurring(TASK, Schedules.fixedDelay(properties.pollInterval()))
                .execute((instance, context) -> sendDue());
    }

    void sendDue() {
        for (Due due : store.due(BATCH)) {
            send(due);
        }
    }

    private void send(Due due) {
        long start = System.nanoTime();
        Integer status = null;
        String error = null;
        try {
            URI url = URI.create(due.url());
            if ("mailto".equals(url.getScheme())) {
                error = email(due, url.getSchemeSpecificPart());
                store.attempted(due.id(), null, error, Duration.ofNanos(System.nanoTime() - start).toMillis(),
                        error == null, error == null ? null : retryAfter(due));
                return;
            }
            String refused = refusal(url);
            if (refused != null) {
                log.info("Webhook delivery {} ({}) refused: {}", due.id(), due.type(), refused);
                store.attempted(due.id(), null, refused, 0, false, null);
                return;
            }
            byte[] body = due.payload().getBytes(StandardCharsets.UTF_8);
            HttpResponse<Void> answer = http.send(HttpRequest.newBuilder(url).timeout(properties.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "Palisade-Webhook/1")
                    .header("Palisade-Event", due.type())
                    .header("Palisade-Delivery", due.eventId().toString())
                    .header(WebhookSignature.HEADER, WebhookSignature.header(due.secret(),
                            Instant.now().getEpochSecond(), body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
            status = answer.statusCode();
            if (status / 100 != 2) {
                error = "answered " + status;
            }
        } catch (IOException | IllegalArgumentException e) {
            error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        boolean delivered = error == null;
        Duration retry = delivered ? null : retryAfter(due);
        store.attempted(due.id(), status, error, millis, delivered, retry);
        if (!delivered) {
            log.info("Webhook delivery {} ({}) failed: {}; {}", due.id(), due.type(), error,
                    retry == null ? "given up" : "retry in " + retry);
        }
    }

    /** The wait before the next attempt of a failed one, or null when it was the last. */
    private Duration retryAfter(Due due) {
        return due.attempts() + 1 >= properties.maxAttempts() ? null : backoff(due.attempts());
    }

    /** Hands the event to the SMTP server: null once it accepted it, else why not. */
    private String email(Due due, String address) {
        JavaMailSender sender = mail.getIfAvailable();
        if (sender == null) {
            return "no SMTP server configured (spring.mail.host)";
        }
        SimpleMailMessage message = new SimpleMailMessage();
        message.setFrom(properties.mailFrom());
        message.setTo(address);
        message.setSubject("[Palisade] " + due.type());
        message.setText("Event: " + due.type() + "\nDelivery: " + due.eventId() + "\n\n" + due.payload() + "\n");
        try {
            sender.send(message);
            return null;
        } catch (MailException e) {
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
    }

    private Duration backoff(int failedBefore) {
        Duration wait = properties.firstRetry().multipliedBy(1L << Math.min(20, failedBefore));
        return wait.compareTo(properties.maxRetry()) > 0 ? properties.maxRetry() : wait;
    }

    /** Why the URL is not called at all, or null. */
    private String refusal(URI url) {
        if (properties.allowPrivateAddresses()) {
            return null;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(url.getHost())) {
                if (isPrivate(address)) {
                    return "refused: " + url.getHost() + " is an address of the platform's own network";
                }
            }
            return null;
        } catch (UnknownHostException e) {
            return "unknown host " + url.getHost();
        }
    }

    static boolean isPrivate(InetAddress a) {
        byte[] b = a.getAddress();
        boolean uniqueLocal6 = b.length == 16 && (b[0] & 0xfe) == 0xfc;
        return a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress() || uniqueLocal6;
    }
}
