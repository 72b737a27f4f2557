/**
 * The console's Tenants pages (platform admins): search, create, edit, suspend and resume, and
 * delete after confirmation; the list shows how many users and active workloads each tenant has.
 */
package dev.palisade.web.tenant;
