import path from 'node:path'
import { expect, test } from './fixtures.js'
import { choose } from './naive.js'

test('the editor reads a .NET project and its launchSettings.json into the form (any of its profiles), and says when a folder has none', async ({ page, aerie }) => {
  await page.goto(aerie.url)
  await page.getByTestId('new-stack').click()
  const app = page.getByRole('group', { name: 'App server 1' })
  await choose(app.getByLabel('Kind', { exact: true }), 'ASP.NET Core project')
  await app.getByLabel('Project folder or .csproj', { exact: true }).fill(path.resolve('resources'))
  await app.getByTestId('read-project').click()
  await expect(app.getByTestId('detect-error')).toContainText('holds no .csproj file')

  await app.getByLabel('Project folder or .csproj', { exact: true }).fill(path.resolve('resources/samples/KestrelSample'))
  await app.getByTestId('read-project').click()
  await expect(app.getByLabel('Project folder or .csproj', { exact: true })).toHaveValue(path.resolve('resources/samples/KestrelSample/KestrelSample.csproj'))
  await expect(app.getByLabel('Environment (KEY=value per line)')).toHaveValue('ASPNETCORE_ENVIRONMENT=Development\nGreeting=Hello from the launch profile')
  await expect(app.locator('.detect-notes')).toContainText('Aerie gives each instance its own port')
  // The second launch profile, picked from the list, replaces what the first filled in.
  await choose(app.getByTestId('launch-profile'), 'https')
  await expect(app.getByLabel('Environment (KEY=value per line)')).toHaveValue('ASPNETCORE_ENVIRONMENT=Development')
  await expect(app.locator('.detect-notes')).toContainText('profile "https" listens on')
})
