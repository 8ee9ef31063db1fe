/**
 * An organisation's ADMIN in the browser (issue #15: users and invitations, the audit feed): the
 * lender's ADMIN adds an APPROVER and issues their one-time invitation; the link read from the modal
 * lets the person set a password and sign in; the audit feed shows who added them; an APPROVER is
 * refused both pages; the ADMIN deactivates the person, whose session and sign-in then stop working.
 */
import { expect } from '@playwright/test';
import { checkPage, choose, LANGUAGES, personPage, signedIn, signIn, text, world, test } from './support';
import type { MessageKey } from '../../console/src/i18n/en';

const NEW_PASSWORD = 'a passphrase of my own 2026';

for (const language of LANGUAGES) {
  test(`admin (${language}): the ADMIN adds an APPROVER and invites them, the invitation signs them in, the audit feed shows it, an APPROVER is refused, a deactivated user cannot sign in`, async ({ browser }, testInfo) => {
    // Three people, four sign-ins and two axe checks.
    test.setTimeout(240_000);
    const seeded = world(`admin-${language}`);
    const newcomer = { email: `newcomer.admin-${language}@example.test`, name: `Newcomer ${language}` };

    // The ADMIN finds Users and the audit trail in the navigation.
    const admin = await signedIn(browser, language, seeded.lender);
    await expect(admin.getByRole('link', { name: text(language, 'nav.audit') })).toBeVisible();
    await admin.getByRole('link', { name: text(language, 'nav.users') }).click();
    await expect(admin).toHaveURL(/\/app\/users$/);
    await expect(admin.getByRole('heading', { name: text(language, 'users.title') })).toBeVisible();
    await expect(admin.getByTestId(`user-${seeded.lender.email}`)).toContainText(text(language, 'users.you'));

    // Adds an APPROVER.
    const form = admin.getByTestId('add-user');
    await form.getByLabel(text(language, 'users.email'), { exact: true }).fill(newcomer.email);
    await form.getByLabel(text(language, 'users.name'), { exact: true }).fill(newcomer.name);
    await choose(admin, text(language, 'users.role'), text(language, 'role.APPROVER'));
    await form.getByRole('button', { name: text(language, 'users.addSubmit') }).click();
    await expect(admin.getByTestId('user-added')).toContainText(text(language, 'users.added', { name: newcomer.name }));
    const row = admin.getByTestId(`user-${newcomer.email}`);
    await expect(row).toContainText(text(language, 'role.APPROVER'));
    await expect(row.getByTestId('user-status')).toContainText(text(language, 'status.ACTIVE'));
    // Where each person stands with signing in: the text before the date, in the reader's language.
    const signInShows = (key: MessageKey) => expect(admin.getByTestId(`user-${newcomer.email}`).getByTestId('user-sign-in')).toContainText(text(language, key).split('{at}')[0]);
    await signInShows('users.notInvited');

    // Issues the invitation: the link is shown once, with when it expires.
    await row.getByTestId('user-invite').click();
    const modal = admin.getByTestId('invitation');
    await expect(modal).toContainText(text(language, 'invite.onceOnly', { name: newcomer.name }));
    await expect(admin.getByTestId('invitation-expires')).toBeVisible();
    const link = admin.getByTestId('invitation-link');
    await expect(link).toHaveValue(/\/accept-invitation#token=.+/);
    const invitationLink = await link.inputValue();
    expect(new URL(invitationLink).origin).toBe(new URL(admin.url()).origin);
    await admin.getByTestId('invitation-close').click();
    await expect(modal).toHaveCount(0);
    await admin.reload();
    await signInShows('users.invitationOpen');
    await checkPage(admin, testInfo, `users-${language}`);

    // The person opens the link in a browser of their own, sets a password and is signed in.
    const person = await personPage(browser, language);
    await person.goto(invitationLink);
    await person.getByLabel(text(language, 'invitation.password'), { exact: true }).fill(NEW_PASSWORD);
    await person.getByLabel(text(language, 'invitation.confirm'), { exact: true }).fill(NEW_PASSWORD);
    await person.getByRole('button', { name: text(language, 'invitation.submit') }).click();
    await expect(person.getByTestId('signed-in-as')).toContainText(newcomer.name);
    await expect(person).toHaveURL(/\/app\/portfolio$/);
    // An APPROVER is no ADMIN: no Users in the navigation.
    await expect(person.getByRole('link', { name: text(language, 'nav.users') })).toHaveCount(0);

    // The ADMIN's list shows the person active; the audit feed shows who added them.
    await admin.reload();
    await expect(admin.getByTestId(`user-${newcomer.email}`).getByTestId('user-status')).toContainText(text(language, 'status.ACTIVE'));
    await signInShows('users.lastSignIn');
    await admin.getByRole('link', { name: text(language, 'nav.audit') }).click();
    await expect(admin).toHaveURL(/\/app\/audit$/);
    await expect(admin.getByRole('heading', { name: text(language, 'audit.title') })).toBeVisible();
    await choose(admin, text(language, 'audit.action'), `${text(language, 'auditAction.user.create')} · user.create`);
    const creation = admin.getByTestId('audit-user.create').filter({ hasText: newcomer.email });
    await expect(creation).toHaveCount(1);
    // Who: the ADMIN; what: a user added; the subject: the newcomer.
    await expect(creation).toContainText(seeded.lender.email);
    await expect(creation).toContainText(text(language, 'auditAction.user.create'));
    await expect(creation).toContainText(`${newcomer.name} · ${newcomer.email}`);
    // Only user.create records are listed under that filter.
    await expect(admin.getByTestId('audit-session.sign_in')).toHaveCount(0);
    await checkPage(admin, testInfo, `audit-${language}`);

    // An APPROVER of the same lender opening the pages by URL is refused, and so is its call of the API.
    const approver = await signedIn(browser, language, seeded.approverA);
    await expect(approver.getByRole('link', { name: text(language, 'nav.audit') })).toHaveCount(0);
    for (const path of ['/app/users', '/app/audit']) {
      await approver.goto(path);
      await expect(approver.getByTestId('forbidden')).toContainText(text(language, 'forbidden.adminOnly'));
    }
    expect(await approver.evaluate(async () => [(await fetch('/users')).status, (await fetch('/audit')).status])).toEqual([403, 403]);

    // The ADMIN deactivates the person (after confirming).
    await admin.getByRole('link', { name: text(language, 'nav.users') }).click();
    const deactivated = admin.getByTestId(`user-${newcomer.email}`);
    await deactivated.getByTestId('user-deactivate').click();
    await expect(admin.getByText(text(language, 'users.deactivateTitle', { name: newcomer.name }))).toBeVisible();
    await admin.getByTestId('user-deactivate-confirm').click();
    await expect(deactivated.getByTestId('user-status')).toContainText(text(language, 'status.DEACTIVATED'));
    await expect(deactivated.getByTestId('user-invite')).toHaveCount(0);

    // Their open session has ended, and signing in again is refused.
    await person.reload();
    await expect(person).toHaveURL(/\/app\/sign-in$/);
    const again = await personPage(browser, language);
    await signIn(again, language, { email: newcomer.email, userId: '' }, NEW_PASSWORD);
    await expect(again.getByTestId('sign-in-refused')).toHaveText(text(language, 'signIn.invalidCredentials'));
    await expect(again).toHaveURL(/\/app\/sign-in$/);
  });
}
