/**
 * Notifications: a tenant's webhooks and the delivery of its events to them. Events are queued
 * by database triggers with the change they report (V43_2); one instance at a time sends what is
 * due, signed with HMAC-SHA256 over the timestamp and the body, and retries with back-off; every
 * attempt is kept with the receiver's answer.
 */
package dev.palisade.platform.notify;
